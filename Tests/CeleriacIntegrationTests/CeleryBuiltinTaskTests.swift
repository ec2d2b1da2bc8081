import Celeriac
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Celery's built-in `celery.map` and `celery.starmap` (and so `chunks`) from a Python client.
@Suite("Celery built-in tasks", .serialized)
struct CeleryBuiltinTaskTests {
  @Test("Python xmap, xstarmap and chunks run on a Celeriac worker")
  func pythonMapStarmapChunks() throws {
    try PythonVenv.require()
    let redis = try RedisSandbox()
    let worker = try redis.worker(["-c", "2"])
    let output = try runProcess(
      PythonVenv.python,
      [PythonVenv.interop + "/celery_client.py", redis.brokerURL, redis.backendURL, "mapping"],
      directory: redis.directory)
    #expect(output.status == 0, "\(output.stderr)")
    let results = try checks(output.stdout)
    #expect(results["map"]?["value"] == [3, 12], "\(output.stdout)")
    #expect(results["starmap"]?["value"] == [3, 7])
    #expect(results["chunks"]?["value"] == [[0, 2, 4], [6, 8, 10]])
    #expect(results["map_unknown"]?["exc_type"] == "NotRegistered")
    worker.signal(SIGTERM)
    #expect(try worker.waitForExit() == 0)
  }
}
