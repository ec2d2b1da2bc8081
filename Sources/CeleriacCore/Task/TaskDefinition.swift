/// A task declared as a type, with `Codable` arguments.
///
/// ```swift
/// struct Add: TaskDefinition {
///   static let name = "tasks.add"
///   static let parameters = ["x", "y"]
///   struct Arguments: Codable, Sendable { var x: Int; var y: Int }
///   func run(_ arguments: Arguments, context: TaskContext) async throws -> Int {
///     arguments.x + arguments.y
///   }
/// }
/// ```
/// Positional arguments are matched to ``parameters`` in order, then keyword arguments are
/// added, and the whole object is decoded into ``Arguments``.
public protocol TaskDefinition: Sendable {
  /// The decoded arguments.
  associatedtype Arguments: Decodable & Sendable
  /// The result, stored as JSON.
  associatedtype Output: Encodable & Sendable

  /// The registered name, e.g. `tasks.add`.
  static var name: String { get }
  /// The names of the positional parameters, in order.
  static var parameters: [String] { get }
  /// Queue, options, limits and retry policy.
  static var defaults: TaskDefaults { get }

  /// Runs the task.
  func run(_ arguments: Arguments, context: TaskContext) async throws -> Output
}

extension TaskDefinition {
  /// No positional parameters unless declared.
  public static var parameters: [String] { [] }
  /// The default queue and options.
  public static var defaults: TaskDefaults { TaskDefaults() }

  /// Maps positional and keyword arguments onto ``Arguments``; throws a ``TaskFailure`` of
  /// type `TypeError` naming the problem when they do not fit.
  public static func decodeArguments(args: [JSONValue], kwargs: [String: JSONValue]) throws
    -> Arguments
  {
    guard args.count <= parameters.count else {
      throw TaskFailure(
        type: TaskFailure.badArguments,
        message:
          "\(name)() takes \(parameters.count) positional arguments but \(args.count) were given")
    }
    var object: [String: JSONValue] = [:]
    for (parameter, value) in zip(parameters, args) { object[parameter] = value }
    for (key, value) in kwargs {
      if object[key] != nil {
        throw TaskFailure(
          type: TaskFailure.badArguments,
          message: "\(name)() got multiple values for argument '\(key)'")
      }
      object[key] = value
    }
    do {
      return try JSONCoding.value(Arguments.self, from: .object(object))
    } catch let error as DecodingError {
      throw TaskFailure(
        type: TaskFailure.badArguments, message: "\(name)(): \(describe(error))")
    }
  }

  private static func describe(_ error: DecodingError) -> String {
    switch error {
    case .keyNotFound(let key, _): "missing argument '\(key.stringValue)'"
    case .typeMismatch(let type, let context):
      "argument '\(context.codingPath.map(\.stringValue).joined(separator: "."))' is not \(type)"
    case .valueNotFound(let type, let context):
      "argument '\(context.codingPath.map(\.stringValue).joined(separator: "."))' must be \(type)"
    case .dataCorrupted(let context) where !context.codingPath.isEmpty:
      "argument '\(context.codingPath.map(\.stringValue).joined(separator: "."))' is not valid"
    case .dataCorrupted:
      // Foundation reports a number that does not fit (1.5 for an Int) without a coding path.
      "arguments do not fit the parameter types (a fraction or an out-of-range number?)"
    @unknown default: "arguments do not fit"
    }
  }
}
