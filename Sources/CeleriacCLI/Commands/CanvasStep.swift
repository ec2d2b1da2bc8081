import ArgumentParser
import Celeriac
import Foundation

/// One step of `celeriac chain` / `celeriac group` as typed: `"tasks.add 2 3"`, the task name
/// then its positional arguments, each read as JSON when it parses, else as a string.
enum CanvasStep {
  /// Parses `text` into a signature.
  ///
  /// - Throws: `ValidationError` when it names no task.
  static func signature(_ text: String, priority: Int?) throws -> Signature {
    let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
    guard let name = words.first else {
      throw ValidationError("a step names no task: '\(text)'")
    }
    let args = words.dropFirst().map { word in
      (try? JSONCoding.decode(JSONValue.self, from: word)) ?? .string(word)
    }
    return Signature(name, args: Array(args), options: SendOptions(priority: priority))
  }

  /// Runs an async producer call from a synchronous command and returns its value.
  static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
      do { box.set(.success(try await body())) } catch { box.set(.failure(error)) }
      done.signal()
    }
    done.wait()
    return try box.get()
  }
}

/// The outcome handed from the task to the waiting thread.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var result: Result<T, any Error>?

  func set(_ value: Result<T, any Error>) {
    lock.withLock { result = value }
  }

  func get() throws -> T {
    guard let result = lock.withLock({ result }) else {
      throw CommandFailure("the producer call ended without a result", code: 1)
    }
    return try result.get()
  }
}
