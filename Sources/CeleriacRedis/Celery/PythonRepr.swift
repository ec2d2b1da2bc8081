import CeleriacCore

/// How Python's `repr()` shows JSON-decoded values, for Celery's `argsrepr` and `kwargsrepr`
/// headers (only shown in logs and monitoring tools).
enum PythonRepr {
  /// `(2, 3)`, `(3,)` or `()`.
  static func arguments(_ args: [JSONValue]) -> String {
    if args.count == 1 { return "(" + repr(args[0]) + ",)" }
    return "(" + args.map(repr).joined(separator: ", ") + ")"
  }

  /// `{'x': 2, 'y': 3}`, keys sorted.
  static func keywordArguments(_ kwargs: [String: JSONValue]) -> String {
    "{"
      + kwargs.sorted { $0.key < $1.key }.map { quote($0.key) + ": " + repr($0.value) }
      .joined(separator: ", ") + "}"
  }

  /// One value: `None`, `True`, `'text'`, `[1, 2]`, `{'k': v}`.
  static func repr(_ value: JSONValue) -> String {
    switch value {
    case .null: "None"
    case .bool(let flag): flag ? "True" : "False"
    case .int(let number): String(number)
    case .double(let number): number.isFinite ? number.description : (number.isNaN ? "nan" : "inf")
    case .string(let string): quote(string)
    case .array(let elements): "[" + elements.map(repr).joined(separator: ", ") + "]"
    case .object(let members): keywordArguments(members)
    }
  }

  /// What `repr` escapes inside single quotes.
  private static let escapes: [Character: String] = ["'": "\\'", "\\": "\\\\", "\n": "\\n"]

  private static func quote(_ string: String) -> String {
    "'" + string.escaping(escapes) + "'"
  }
}
