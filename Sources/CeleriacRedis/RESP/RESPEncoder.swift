import NIOCore

/// A value that can be sent as one argument of a Redis command (a RESP bulk string).
///
/// `String`, `Substring`, `ByteBuffer`, `[UInt8]`, `Int`, `Int64` and `Double` conform, so a
/// command is written as an array literal: `["LPUSH", queue, payload]`.
public protocol RESPArgument: Sendable {
  /// Writes this argument into `buffer` as one bulk string (`$<length>\r\n<bytes>\r\n`).
  func writeBulkString(into buffer: inout ByteBuffer)
}

extension String: RESPArgument {
  /// Writes the UTF-8 bytes of the string as a bulk string.
  @inlinable
  public func writeBulkString(into buffer: inout ByteBuffer) {
    var copy = self
    copy.withUTF8 { buffer.writeRESPBulkString(UnsafeRawBufferPointer($0)) }
  }
}

extension Substring: RESPArgument {
  /// Writes the UTF-8 bytes of the substring as a bulk string.
  @inlinable
  public func writeBulkString(into buffer: inout ByteBuffer) {
    var copy = self
    copy.withUTF8 { buffer.writeRESPBulkString(UnsafeRawBufferPointer($0)) }
  }
}

extension ByteBuffer: RESPArgument {
  /// Writes the readable bytes of the buffer as a bulk string.
  @inlinable
  public func writeBulkString(into buffer: inout ByteBuffer) {
    buffer.writeRESPBulkStringHeader(length: self.readableBytes)
    var copy = self
    buffer.writeBuffer(&copy)
    buffer.writeRESPCRLF()
  }
}

extension Array: RESPArgument where Element == UInt8 {
  /// Writes the bytes as a bulk string.
  @inlinable
  public func writeBulkString(into buffer: inout ByteBuffer) {
    self.withUnsafeBytes { buffer.writeRESPBulkString($0) }
  }
}

extension Int: RESPArgument {
  /// Writes the decimal representation as a bulk string.
  @inlinable
  public func writeBulkString(into buffer: inout ByteBuffer) {
    Int64(self).writeBulkString(into: &buffer)
  }
}

extension Int64: RESPArgument {
  /// Writes the decimal representation as a bulk string.
  @inlinable
  public func writeBulkString(into buffer: inout ByteBuffer) {
    buffer.writeRESPBulkStringHeader(length: ByteBuffer.decimalLength(of: self))
    buffer.writeRESPDecimal(self)
    buffer.writeRESPCRLF()
  }
}

extension Double: RESPArgument {
  /// Writes the shortest exact decimal representation (`inf`, `-inf` for infinities).
  @inlinable
  public func writeBulkString(into buffer: inout ByteBuffer) {
    self.description.writeBulkString(into: &buffer)
  }
}

extension ByteBuffer {
  /// Writes one Redis command: an array of bulk strings, straight into this buffer.
  ///
  /// - Returns: The number of bytes written.
  @inlinable
  @discardableResult
  public mutating func writeRESPCommand(_ arguments: [any RESPArgument]) -> Int {
    let start = self.writerIndex
    self.writeInteger(UInt8(ascii: "*"))
    self.writeRESPDecimal(Int64(arguments.count))
    self.writeRESPCRLF()
    for argument in arguments {
      argument.writeBulkString(into: &self)
    }
    return self.writerIndex - start
  }

  /// Writes any ``RESPValue`` in its wire form (RESP2, or RESP3 for the RESP3-only cases).
  public mutating func writeRESPValue(_ value: RESPValue) {
    switch value {
    case .simpleString(let text):
      self.writeInteger(UInt8(ascii: "+"))
      self.writeString(text)
      self.writeRESPCRLF()
    case .error(let message):
      self.writeInteger(UInt8(ascii: "-"))
      self.writeString(message)
      self.writeRESPCRLF()
    case .integer(let number):
      self.writeInteger(UInt8(ascii: ":"))
      self.writeRESPDecimal(number)
      self.writeRESPCRLF()
    case .bulkString(nil):
      self.writeStaticString("$-1\r\n")
    case .bulkString(let bytes?):
      bytes.writeBulkString(into: &self)
    case .array(nil):
      self.writeStaticString("*-1\r\n")
    case .array(let elements?):
      self.writeRESPAggregate(UInt8(ascii: "*"), elements)
    case .null:
      self.writeStaticString("_\r\n")
    case .boolean(let flag):
      self.writeStaticString(flag ? "#t\r\n" : "#f\r\n")
    case .double(let number):
      self.writeInteger(UInt8(ascii: ","))
      self.writeString(number.description)
      self.writeRESPCRLF()
    case .push(let elements):
      self.writeRESPAggregate(UInt8(ascii: ">"), elements)
    }
  }

  private mutating func writeRESPAggregate(_ marker: UInt8, _ elements: [RESPValue]) {
    self.writeInteger(marker)
    self.writeRESPDecimal(Int64(elements.count))
    self.writeRESPCRLF()
    for element in elements {
      self.writeRESPValue(element)
    }
  }

  /// Writes `bytes` as one bulk string.
  @inlinable
  mutating func writeRESPBulkString(_ bytes: UnsafeRawBufferPointer) {
    self.writeRESPBulkStringHeader(length: bytes.count)
    self.writeBytes(bytes)
    self.writeRESPCRLF()
  }

  @inlinable
  mutating func writeRESPBulkStringHeader(length: Int) {
    self.writeInteger(UInt8(ascii: "$"))
    self.writeRESPDecimal(Int64(length))
    self.writeRESPCRLF()
  }

  @inlinable
  mutating func writeRESPCRLF() {
    self.writeInteger(UInt16(0x0D0A))  // "\r\n", big-endian
  }

  /// The number of bytes of the decimal representation of `value`, sign included.
  @inlinable
  static func decimalLength(of value: Int64) -> Int {
    var remaining = value.magnitude
    var length = value < 0 ? 2 : 1
    while remaining >= 10 {
      remaining /= 10
      length += 1
    }
    return length
  }

  /// Writes the decimal digits of `value` without going through `String`.
  @inlinable
  mutating func writeRESPDecimal(_ value: Int64) {
    let length = ByteBuffer.decimalLength(of: value)
    self.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { pointer in
      var remaining = value.magnitude
      var index = length - 1
      while index >= 0 {
        pointer[index] = UInt8(truncatingIfNeeded: remaining % 10) &+ UInt8(ascii: "0")
        remaining /= 10
        index -= 1
      }
      if value < 0 { pointer[0] = UInt8(ascii: "-") }
      return length
    }
  }
}
