import NIOCore

/// An incremental RESP parser with limits, safe on hostile input.
///
/// ``parse(_:)`` reads one complete value from the front of a buffer. When the buffer holds
/// only part of a value it returns `nil` and leaves the buffer untouched, so the caller can
/// append more bytes and call it again. Malformed input throws a ``RedisError`` with code
/// `.protocolError`. Nesting is handled with an explicit stack (no recursion), bounded by
/// ``maximumDepth``.
public struct RESPParser: Sendable {
  /// The largest accepted bulk string, in bytes (Redis's own limit is 512 MB).
  public var maximumBulkLength: Int
  /// The largest accepted number of elements of one array.
  public var maximumArrayLength: Int
  /// The deepest accepted nesting of arrays (an array inside an array has depth 2).
  public var maximumDepth: Int
  /// The longest accepted simple string, error or number line, in bytes.
  public var maximumLineLength: Int

  /// Creates a parser with the given limits.
  public init(
    maximumBulkLength: Int = 512 * 1024 * 1024,
    maximumArrayLength: Int = Int(Int32.max),
    maximumDepth: Int = 32,
    maximumLineLength: Int = 64 * 1024
  ) {
    self.maximumBulkLength = maximumBulkLength
    self.maximumArrayLength = maximumArrayLength
    self.maximumDepth = maximumDepth
    self.maximumLineLength = maximumLineLength
  }

  /// Parses one value from the front of `buffer`.
  ///
  /// - Returns: The value, with its bytes consumed from `buffer`; or `nil` when `buffer` does
  ///   not yet hold a complete value, in which case `buffer` is unchanged.
  /// - Throws: ``RedisError`` with code `.protocolError` on malformed input or exceeded limits.
  public func parse(_ buffer: inout ByteBuffer) throws -> RESPValue? {
    let source = buffer
    let parsed = try source.withUnsafeReadableBytes { bytes in
      try self.parseValue(bytes, source: source)
    }
    guard let (value, length) = parsed else { return nil }
    buffer.moveReaderIndex(forwardBy: length)
    return value
  }

  private struct Frame {
    var isPush: Bool
    var remaining: Int
    var elements: [RESPValue]
  }

  private func parseValue(
    _ bytes: UnsafeRawBufferPointer,
    source: ByteBuffer
  ) throws -> (RESPValue, Int)? {
    var stack: [Frame] = []
    var position = 0
    while true {
      guard position < bytes.count else { return nil }
      let marker = bytes[position]
      var value: RESPValue
      switch marker {
      case UInt8(ascii: "+"), UInt8(ascii: "-"):
        guard let end = try self.lineEnd(bytes, from: position + 1) else { return nil }
        let text = String(decoding: bytes[(position + 1)..<end], as: UTF8.self)
        value = marker == UInt8(ascii: "+") ? .simpleString(text) : .error(text)
        position = end + 2
      case UInt8(ascii: ":"):
        guard let end = try self.lineEnd(bytes, from: position + 1) else { return nil }
        value = .integer(try Self.integer(bytes, position + 1, end))
        position = end + 2
      case UInt8(ascii: "$"):
        guard let end = try self.lineEnd(bytes, from: position + 1) else { return nil }
        let length = try Self.integer(bytes, position + 1, end)
        position = end + 2
        if length == -1 {
          value = .bulkString(nil)
        } else {
          guard length >= 0, length <= self.maximumBulkLength else {
            throw Self.error("bulk string length \(length) out of range", at: position)
          }
          let count = Int(length)
          guard bytes.count - position >= count + 2 else { return nil }
          guard bytes[position + count] == 0x0D, bytes[position + count + 1] == 0x0A else {
            throw Self.error("bulk string not terminated by CRLF", at: position + count)
          }
          value = .bulkString(source.getSlice(at: source.readerIndex + position, length: count)!)
          position += count + 2
        }
      case UInt8(ascii: "*"), UInt8(ascii: ">"):
        guard let end = try self.lineEnd(bytes, from: position + 1) else { return nil }
        let count = try Self.integer(bytes, position + 1, end)
        let isPush = marker == UInt8(ascii: ">")
        if count == -1 && !isPush {
          value = .array(nil)
        } else if count == 0 {
          value = isPush ? .push([]) : .array([])
        } else {
          guard count > 0, count <= self.maximumArrayLength else {
            throw Self.error("aggregate length \(count) out of range", at: position)
          }
          guard stack.count < self.maximumDepth else {
            throw Self.error("nesting deeper than \(self.maximumDepth)", at: position)
          }
          var elements: [RESPValue] = []
          elements.reserveCapacity(Int(min(count, 1024)))
          stack.append(Frame(isPush: isPush, remaining: Int(count), elements: elements))
          position = end + 2
          continue
        }
        position = end + 2
      case UInt8(ascii: "_"):
        guard bytes.count - position >= 3 else { return nil }
        guard bytes[position + 1] == 0x0D, bytes[position + 2] == 0x0A else {
          throw Self.error("null not terminated by CRLF", at: position)
        }
        value = .null
        position += 3
      case UInt8(ascii: "#"):
        guard bytes.count - position >= 4 else { return nil }
        guard bytes[position + 2] == 0x0D, bytes[position + 3] == 0x0A else {
          throw Self.error("boolean not terminated by CRLF", at: position)
        }
        switch bytes[position + 1] {
        case UInt8(ascii: "t"): value = .boolean(true)
        case UInt8(ascii: "f"): value = .boolean(false)
        default: throw Self.error("boolean is neither t nor f", at: position + 1)
        }
        position += 4
      case UInt8(ascii: ","):
        guard let end = try self.lineEnd(bytes, from: position + 1) else { return nil }
        let text = String(decoding: bytes[(position + 1)..<end], as: UTF8.self)
        guard let number = Double(text) else {
          throw Self.error("invalid double", at: position + 1)
        }
        value = .double(number)
        position = end + 2
      default:
        throw Self.error("unknown type byte 0x\(String(marker, radix: 16))", at: position)
      }

      // Attach the finished value to its enclosing aggregates, closing those that are full.
      while true {
        guard !stack.isEmpty else { return (value, position) }
        let top = stack.count - 1
        stack[top].elements.append(value)
        stack[top].remaining -= 1
        if stack[top].remaining > 0 { break }
        let frame = stack.removeLast()
        value = frame.isPush ? .push(frame.elements) : .array(frame.elements)
      }
    }
  }

  /// The index of the CR ending the line that starts at `start`, or `nil` if it is not
  /// complete yet.
  private func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) throws -> Int? {
    let limit = min(bytes.count, start + self.maximumLineLength + 1)
    var index = start
    while index < limit {
      if bytes[index] == 0x0D {
        guard index + 1 < bytes.count else { return nil }
        guard bytes[index + 1] == 0x0A else {
          throw Self.error("CR not followed by LF", at: index + 1)
        }
        return index
      }
      if bytes[index] == 0x0A {
        throw Self.error("LF without CR", at: index)
      }
      index += 1
    }
    if limit - start > self.maximumLineLength {
      throw Self.error("line longer than \(self.maximumLineLength) bytes", at: start)
    }
    return nil
  }

  /// Parses a decimal `Int64` from `bytes[start..<end]`: an optional `-` and 1 to 19 digits.
  private static func integer(
    _ bytes: UnsafeRawBufferPointer,
    _ start: Int,
    _ end: Int
  ) throws -> Int64 {
    var index = start
    let negative = index < end && bytes[index] == UInt8(ascii: "-")
    if negative { index += 1 }
    guard index < end else { throw Self.error("empty number", at: start) }
    // Accumulate negatively so that Int64.min is representable.
    var accumulator: Int64 = 0
    while index < end {
      let digit = bytes[index] &- UInt8(ascii: "0")
      guard digit < 10 else { throw Self.error("invalid digit in number", at: index) }
      let (shifted, overflow1) = accumulator.multipliedReportingOverflow(by: 10)
      let (next, overflow2) = shifted.subtractingReportingOverflow(Int64(digit))
      guard !overflow1, !overflow2 else { throw Self.error("number out of range", at: start) }
      accumulator = next
      index += 1
    }
    if negative { return accumulator }
    guard accumulator != .min else { throw Self.error("number out of range", at: start) }
    return -accumulator
  }

  private static func error(_ what: String, at offset: Int) -> RedisError {
    RedisError(
      code: .protocolError, message: "invalid RESP from Redis: \(what) (at byte \(offset))")
  }
}
