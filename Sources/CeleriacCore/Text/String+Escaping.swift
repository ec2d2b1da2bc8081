extension String {
  /// The string with every character that `replacements` names written as its replacement,
  /// and every other character as it is: the one loop behind Python quoting and URL escapes.
  public func escaping(_ replacements: [Character: String]) -> String {
    var result = ""
    for character in self {
      if let replacement = replacements[character] {
        result += replacement
      } else {
        result.append(character)
      }
    }
    return result
  }
}
