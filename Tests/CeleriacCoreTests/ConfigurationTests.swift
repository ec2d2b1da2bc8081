import Celeriac
import Testing

@Suite("CeleriacConfiguration.fromEnvironment")
struct ConfigurationTests {
  @Test("an empty environment gives the SQLite default")
  func defaults() {
    let configuration = CeleriacConfiguration.fromEnvironment([:])
    #expect(configuration.brokerURL == "sqlite://celeriac.db")
    #expect(configuration.backendURL == "sqlite://celeriac.db")
    #expect(!configuration.alwaysEager)
    #expect(configuration.resultExpiry == .seconds(86_400))
  }

  @Test("the backend defaults to the broker")
  func backendDefaultsToBroker() {
    let configuration = CeleriacConfiguration.fromEnvironment([
      "CELERIAC_BROKER_URL": "sqlite:///var/lib/celeriac/q.db"
    ])
    #expect(configuration.brokerURL == "sqlite:///var/lib/celeriac/q.db")
    #expect(configuration.backendURL == "sqlite:///var/lib/celeriac/q.db")
  }

  @Test("broker and backend may differ; empty values count as unset")
  func separateAndEmpty() {
    let both = CeleriacConfiguration.fromEnvironment([
      "CELERIAC_BROKER_URL": "redis://h:6379/0", "CELERIAC_RESULT_BACKEND": "sqlite://r.db",
    ])
    #expect(both.brokerURL == "redis://h:6379/0")
    #expect(both.backendURL == "sqlite://r.db")
    let empty = CeleriacConfiguration.fromEnvironment([
      "CELERIAC_BROKER_URL": "", "CELERIAC_RESULT_BACKEND": "",
    ])
    #expect(empty == CeleriacConfiguration())
  }

  @Test(
    "CELERIAC_ALWAYS_EAGER",
    arguments: [
      ("1", true), ("true", true), ("TRUE", true), ("Yes", true), ("0", false),
      ("false", false), ("", false), ("on", false),
    ])
  func eager(_ value: String, _ expected: Bool) {
    let configuration = CeleriacConfiguration.fromEnvironment(["CELERIAC_ALWAYS_EAGER": value])
    #expect(configuration.alwaysEager == expected)
  }
}

@Suite("ConnectionFactory")
struct ConnectionFactoryTests {
  @Test(
    "redact hides the password and keeps the rest",
    arguments: [
      ("redis://user:secret@host:6379/0", "redis://user:***@host:6379/0"),
      ("redis://:secret@host:6379", "redis://:***@host:6379"),
      ("rediss://user:p@ss:w0rd@host/1", "rediss://user:***@host/1"),
      ("redis://user@host", "redis://user@host"),
      ("redis://host:6379/0", "redis://host:6379/0"),
      ("sqlite:///tmp/x.db", "sqlite:///tmp/x.db"),
      ("not a url", "not a url"),
    ])
  func redact(_ url: String, _ expected: String) {
    let redacted = ConnectionFactory.redact(url)
    #expect(redacted == expected)
    #expect(!redacted.contains("secret"))
  }

  @Test("a URL without a scheme is an invalidURL error naming it on one line")
  func noScheme() {
    for open in [
      { try ConnectionFactory.openBroker("celeriac.db") as Any },
      { try ConnectionFactory.openBackend("celeriac.db") as Any },
    ] {
      let error = #expect(throws: CeleriacError.self) { try open() }
      #expect(error?.code == .invalidURL)
      #expect(error?.message.contains("'celeriac.db'") == true)
      #expect(error?.message.contains("\n") == false)
    }
  }

  @Test("an unknown scheme is an invalidURL error naming the URL without its password")
  func unknownScheme() {
    let broker = #expect(throws: CeleriacError.self) {
      try ConnectionFactory.openBroker("amqp://guest:hunter2@rabbit:5672//")
    }
    #expect(broker?.code == .invalidURL)
    #expect(broker?.message == "unsupported broker URL scheme in 'amqp://guest:***@rabbit:5672//'")
    let backend = #expect(throws: CeleriacError.self) {
      try ConnectionFactory.openBackend("ftp://files")
    }
    #expect(backend?.message == "unsupported result backend URL scheme in 'ftp://files'")
    let app = CeleriacApp(configuration: CeleriacConfiguration(brokerURL: "nope"))
    #expect(throws: CeleriacError.self) { try app.connection() }
  }

  @Test("redis:// URLs are understood; a server that does not answer is brokerUnavailable")
  func redisSchemeKnown() {
    do {
      _ = try ConnectionFactory.openBroker("redis://127.0.0.1:1/0")
    } catch let error as CeleriacError {
      #expect(error.code != .invalidURL, "\(error)")
    } catch {
      Issue.record("unexpected error \(error)")
    }
  }
}
