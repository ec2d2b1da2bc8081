import CeleriacCore
import Foundation

extension Supervisor {
  /// Serves Celery's built-in `celery.chunks` without a child (``CeleryChunks``): its
  /// `celery.starmap` messages are published in the commit that stores its value (the new
  /// group's result tuple) and acknowledges it, so that neither goes without the other; bad
  /// arguments store a FAILURE `TypeError`.
  func serveChunks(_ delivery: Delivery) {
    let message = delivery.message
    let expansion: CeleryChunks.Expansion
    do {
      expansion = try CeleryChunks.expand(message, groupID: UUID().lowercasedText)
    } catch {
      logger.error("task \(message.id) (\(message.name)): \(error.message)")
      complete(delivery, outcome: .failure(error), runtime: .zero)
      return
    }
    // Should the chunks task's own follow-ups not be sendable, `complete` fails it; its
    // chunks are then not sent either.
    let followUpsSendable =
      message.workflow == nil
      || (try? WorkflowFollowUps.afterSuccess(
        of: message, result: expansion.value, defaultQueue: defaultQueue(of:))) != nil
    if followUpsSendable {
      pending.publish(contentsOf: expansion.members)
      logger.debug(
        "task \(message.name)[\(message.id)]: \(expansion.members.count) chunks sent as a group")
    }
    complete(delivery, outcome: .success(expansion.value), runtime: .zero)
  }
}
