import CeleriacDashboard
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Credentials on every request, and the refusal to serve off loopback without them.
@Suite("Dashboard authentication")
struct DashboardAuthTests {
  @Test("a non-loopback address without credentials, or with short ones, does not start")
  func refusesInsecureBinding() throws {
    for (host, authentication) in [
      ("0.0.0.0", DashboardAuthentication.none), ("192.168.1.5", .none),
      ("0.0.0.0", .token("short")), ("0.0.0.0", .basic(user: "a:b", password: "longenough")),
    ] {
      let configuration = DashboardConfiguration(
        host: host, authentication: authentication, brokerURL: "sqlite://unused.db")
      #expect(throws: DashboardError.self) { try configuration.validate() }
    }
    try DashboardConfiguration(brokerURL: "sqlite://unused.db").validate()
    try DashboardConfiguration(
      host: "0.0.0.0", authentication: .token("0123456789"), brokerURL: "sqlite://unused.db"
    ).validate()
  }

  @Test("a token is checked on every request: header, query once, then the cookie")
  func token() async throws {
    let fixture = try DashboardFixture()
    defer { fixture.remove() }
    let server = try fixture.server(authentication: .token("s3cret-token"))
    try await server.application().test(.live) { client in
      for uri in ["/", "/api/tasks", "/api/overview"] {
        try await client.execute(uri: uri, method: .get) { #expect($0.status == .unauthorized) }
      }
      try await client.execute(
        uri: "/api/tasks", method: .get, headers: [.authorization: "Bearer wrong-token"]
      ) { #expect($0.status == .unauthorized) }
      try await client.execute(
        uri: "/api/tasks", method: .get, headers: [.authorization: "Bearer s3cret-token"]
      ) { #expect($0.status == .ok) }
      let cookie = try await client.execute(uri: "/?token=s3cret-token", method: .get) {
        response in
        #expect(response.status == .ok)
        return response.headers[.setCookie] ?? ""
      }
      #expect(cookie.hasPrefix("celeriac_dashboard_token=s3cret-token"))
      #expect(cookie.contains("HttpOnly"))
      try await client.execute(
        uri: "/api/tasks", method: .get,
        headers: [.cookie: "celeriac_dashboard_token=s3cret-token"]
      ) { #expect($0.status == .ok) }
    }
  }

  @Test("basic auth is asked for and checked")
  func basic() async throws {
    let fixture = try DashboardFixture()
    defer { fixture.remove() }
    let server = try fixture.server(authentication: .basic(user: "ops", password: "pass-word"))
    try await server.application().test(.live) { client in
      try await client.execute(uri: "/api/tasks", method: .get) { response in
        #expect(response.status == .unauthorized)
        #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
      }
      let good = "Basic " + Data("ops:pass-word".utf8).base64EncodedString()
      let bad = "Basic " + Data("ops:pass-wore".utf8).base64EncodedString()
      try await client.execute(uri: "/api/tasks", method: .get, headers: [.authorization: bad]) {
        #expect($0.status == .unauthorized)
      }
      try await client.execute(uri: "/api/tasks", method: .get, headers: [.authorization: good]) {
        #expect($0.status == .ok)
      }
    }
  }
}
