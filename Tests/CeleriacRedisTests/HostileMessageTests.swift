import CeleriacCore
import CeleriacRedis
import CeleriacTestSupport
import Foundation
import Testing

/// Many thousands of mutated messages through the decoding and screening path of both
/// brokers: each is refused with a one-line reason or decodes to a message within
/// ``TaskMessageLimits``; none traps. The seed is printed so a failure can be replayed with
/// `CELERIAC_FUZZ_SEED`.
@Suite("Hostile messages: decoding never traps")
struct HostileMessageTests {
  /// Messages per test: `CELERIAC_FUZZ_ITERATIONS`, else 5,000 (`Scripts/chaos` runs more).
  static let iterations =
    Environment.value("CELERIAC_FUZZ_ITERATIONS").flatMap { Int($0) } ?? 5_000

  static let seeds: [String] = [
    CeleryCaptures.messageArgs, CeleryCaptures.messageKwargs,
    CeleryProtocol.encode(
      TaskMessage(
        name: "tasks.add", args: [1, 2], eta: Date(), expires: Date(),
        timeLimit: TimeLimits(soft: 5, hard: 10),
        workflow: TaskWorkflow(chain: [
          .object(["task": "tasks.add", "args": [3], "kwargs": [:], "options": [:]])
        ])),
      origin: "fuzz", replyTo: "fuzz"),
  ]

  @Test("Mutated Celery protocol 2 messages are refused or decode within limits")
  func celeryMessages() {
    print("HostileMessageTests.celeryMessages seed \(fuzzSeed)")
    var mutator = MessageMutator(seed: fuzzSeed)
    var refused = 0
    var accepted = 0
    var problems: [String] = []
    for index in 0..<Self.iterations {
      let (_, raw) = mutator.mutateCelery(Self.seeds[index % Self.seeds.count])
      do {
        let decoded = try CeleryProtocol.decode(raw, queue: "celery")
        accepted += 1
        if let problem = decoded.message.validationProblem {
          problems.append("#\(index) accepted out of range (\(problem)): \(raw)")
        }
        _ = decoded.message.workflow?.unsupportedReason
        // What a worker then writes back must not trap either, and must read the same.
        let again = try CeleryProtocol.decode(
          CeleryProtocol.encode(decoded.message, origin: "o", replyTo: "r"), queue: "celery")
        if again.message.id != decoded.message.id { problems.append("#\(index) re-encoding") }
      } catch {
        refused += 1
        if error.reason.isEmpty || error.reason.contains("\n") {
          problems.append("#\(index) reason is not one line: \(error.reason)")
        }
      }
      _ = CeleryProtocol.incrementingRedeliveries(raw)
      _ = CeleryProtocol.routingKey(of: raw)
    }
    #expect(problems.isEmpty, "seed \(fuzzSeed): \(problems.prefix(3))")
    #expect(refused > Self.iterations / 10 && accepted > Self.iterations / 10)
    print("celery messages: \(accepted) accepted, \(refused) refused")
  }

  @Test("Mutated stored messages (the SQLite payload) are refused or decode within limits")
  func storedMessages() {
    var mutator = MessageMutator(seed: fuzzSeed &+ 1)
    let base = TaskMessage(
      name: "tasks.add", args: [1, 2], eta: Date(), timeLimit: TimeLimits(soft: 1, hard: 2))
    var accepted = 0
    var problems: [String] = []
    for index in 0..<Self.iterations {
      let (_, json) = mutator.mutateStored(base)
      guard let message = try? JSONCoding.decode(TaskMessage.self, from: json) else { continue }
      if message.validationProblem == nil {
        accepted += 1
        _ = ISO8601.format(message.eta ?? Date())
        _ = message.timeLimit.hard.map { Duration.seconds(fractional: $0) }
      } else if (try? message.validate()) != nil {
        problems.append("#\(index): validate() accepted what validationProblem refused")
      }
    }
    #expect(problems.isEmpty, "seed \(fuzzSeed &+ 1): \(problems.prefix(3))")
    #expect(accepted > 0)
  }

  @Test("The poison pill of the hardening issue is refused with its reason")
  func poisonPill() throws {
    var message = TaskMessage(name: "tasks.add", args: [1, 2])
    message.timeLimit.hard = 1
    let raw = CeleryProtocol.encode(message, origin: "o", replyTo: "r")
      .replacingOccurrences(of: #""timelimit": [1, null]"#, with: #""timelimit": [1e13, null]"#)
    #expect(raw.contains("1e13"))
    #expect {
      _ = try CeleryProtocol.decode(raw, queue: "celery")
    } throws: { error in
      (error as? CeleryMessageError)?.reason.contains("hard time limit must be") == true
        && (error as? CeleryMessageError)?.taskID == message.id
    }
  }

  @Test("A Celery chain's embed is read, not dropped, and written back")
  func chainEmbed() throws {
    let chain = try #require(CeleryCaptures.queuedChain)
    let decoded = try CeleryProtocol.decode(chain, queue: "celery")
    let steps = try #require(decoded.message.workflow?.chain)
    #expect(steps.count == 2)
    #expect(decoded.message.workflow?.unsupportedReason == nil)
    let encoded = CeleryProtocol.encode(decoded.message, origin: "o", replyTo: "r")
    #expect(try CeleryProtocol.decode(encoded, queue: "celery").message.workflow?.chain == steps)
  }
}
