import CeleriacHummingbird
import Foundation
import Hummingbird
import Logging

/// The example's web app: the forms, the task pages, their status API and the files the
/// tasks write. Every handler answers at once: work goes to the worker as a task.
struct WebServer {
  /// The app tasks are sent with.
  let app: CeleriacApp
  /// Where files go.
  let settings: ExampleSettings
  /// Where to listen.
  let options: ServeOptions
  private let files = BlockingExecutor(label: "example.files")

  /// A server for `app`.
  init(app: CeleriacApp, settings: ExampleSettings, options: ServeOptions) {
    self.app = app
    self.settings = settings
    self.options = options
  }

  /// Serves until SIGINT or SIGTERM, then closes the app's connections.
  func run() async throws {
    var logger = Logger(label: "celeriac-web-example")
    logger.logLevel = .info
    let application = Application(
      router: router(),
      configuration: .init(address: .hostname(options.host, port: options.port)),
      services: [CeleriacService(app: app)],
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? options.port
        let line = "celeriac-web-example: serving on http://\(options.host):\(port)/\n"
        FileHandle.standardOutput.write(Data(line.utf8))
      },
      logger: logger)
    try await application.runService()
  }

  /// The routes.
  func router() -> Router<ExampleRequestContext> {
    let router = Router(context: ExampleRequestContext.self)
    router.add(middleware: CeleriacMiddleware(app: app))
    router.get("/") { _, _ -> Response in html(Pages.index()) }
    router.post("/thumbnail") { request, context in try await sendThumbnail(request, context) }
    router.post("/report") { request, context -> Response in
      let fields = try await form(request, context)
      let id = UUID().uuidString.lowercased()
      let arguments = ReportTask.Arguments(
        title: fields["title"] ?? "", limit: fields["limit"] ?? "",
        output: "\(settings.outputs)/\(id).pdf")
      try await context.celeriac.send(ReportTask.self, arguments, options: SendOptions(taskID: id))
      return .redirect(to: "/tasks/report/\(id)", type: .normal)
    }
    router.post("/factor") { request, context -> Response in
      let fields = try await form(request, context)
      let handle = try await context.celeriac.send(
        FactorTask.self, FactorTask.Arguments(number: fields["number"] ?? ""))
      return .redirect(to: "/tasks/factor/\(handle.id)", type: .normal)
    }
    router.post("/count") { request, context -> Response in
      let fields = try await form(request, context)
      let handle = try await context.celeriac.send(
        CountFilesTask.self, CountFilesTask.Arguments(path: fields["path"] ?? ""))
      return .redirect(to: "/tasks/count/\(handle.id)", type: .normal)
    }
    router.get("/tasks/{kind}/{id}") { _, context -> Response in
      guard let kind = ExampleKind(rawValue: try context.parameters.require("kind")) else {
        return html(Pages.badRequest("no such kind of task"), status: .notFound)
      }
      return html(Pages.task(kind: kind, id: try context.parameters.require("id")))
    }
    router.get("/api/tasks/{id}") { _, context -> Response in
      let record = try await context.celeriac.result(for: try context.parameters.require("id"))
        .record()
      let json = try JSONCoding.encodeString(TaskStatus(record: record))
      return Response(
        status: .ok,
        headers: [.contentType: "application/json", .cacheControl: "no-store"],
        body: .init(byteBuffer: ByteBuffer(string: json)))
    }
    router.get("/files/{name}") { _, context in
      try await file(try context.parameters.require("name"))
    }
    return router
  }

  /// Saves the uploaded file and sends the thumbnail task; a form without a file is answered
  /// with a message (a file that is not a PNG is the task's to refuse).
  private func sendThumbnail(_ request: Request, _ context: ExampleRequestContext) async throws
    -> Response
  {
    var request = request
    let body = try await request.collectBody(upTo: context.maxUploadSize)
    let contentType = request.headers[.contentType] ?? ""
    guard let form = MultipartForm(contentType: contentType, body: Array(buffer: body)) else {
      return html(Pages.badRequest("send the image as a multipart form"), status: .badRequest)
    }
    guard let upload = form.parts["image"], !upload.data.isEmpty else {
      return html(Pages.badRequest("choose a PNG file to upload first"), status: .badRequest)
    }
    let id = UUID().uuidString.lowercased()
    let input = "\(settings.uploads)/\(id).upload"
    try await files.run { try Data(upload.data).write(to: URL(fileURLWithPath: input)) }
    try await context.celeriac.send(
      ThumbnailTask.self,
      ThumbnailTask.Arguments(input: input, output: "\(settings.outputs)/\(id).png"),
      options: SendOptions(taskID: id))
    return .redirect(to: "/tasks/thumbnail/\(id)", type: .normal)
  }

  /// The fields of a URL-encoded form.
  private func form(_ request: Request, _ context: ExampleRequestContext) async throws
    -> [String: String]
  {
    var request = request
    let body = try await request.collectBody(upTo: context.maxUploadSize)
    return try URLEncodedFormDecoder().decode([String: String].self, from: String(buffer: body))
  }

  /// A thumbnail or report the worker wrote, by `<task id>.png` or `<task id>.pdf`.
  private func file(_ name: String) async throws -> Response {
    let allowed = CharacterSet(charactersIn: "0123456789abcdef-")
    let stem = name.split(separator: ".").first.map(String.init) ?? ""
    let type: String? =
      name == stem + ".png" ? "image/png" : name == stem + ".pdf" ? "application/pdf" : nil
    guard let type, !stem.isEmpty, stem.unicodeScalars.allSatisfy(allowed.contains) else {
      return html(Pages.badRequest("no such file"), status: .notFound)
    }
    let path = "\(settings.outputs)/\(name)"
    guard let data = try await files.run({ FileManager.default.contents(atPath: path) }) else {
      return html(Pages.badRequest("no such file (yet)"), status: .notFound)
    }
    return Response(
      status: .ok, headers: [.contentType: type],
      body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  private func html(_ page: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(
      status: status, headers: [.contentType: "text/html; charset=utf-8"],
      body: .init(byteBuffer: ByteBuffer(string: page)))
  }
}
