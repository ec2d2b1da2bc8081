/// Verbatim copies of the Celery 5.7 captures in `shared/celery-wire/` (the strings as stored in
/// Redis), so that the codec tests run wherever the repository is checked out.
/// ``CeleryProtocolTests`` checks them against the capture files when those are present.
enum CeleryCaptures {
  /// The directory of the capture files, when present.
  static let directory = "/work/shared/celery-wire"

  /// `message_add_args.raw.json`.
  static let messageArgs = #"""
    {"body": "W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.add", "id": "7b6065d8-3a30-4acb-a406-1c50fc21f85d", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "7b6065d8-3a30-4acb-a406-1c50fc21f85d", "parent_id": null, "argsrepr": "(2, 3)", "kwargsrepr": "{}", "origin": "gen27570@vm", "ignore_result": false, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}}, "properties": {"correlation_id": "7b6065d8-3a30-4acb-a406-1c50fc21f85d", "reply_to": "1f39cc54-237f-345c-b9fa-c724d7dd0446", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "44caa0c4-6cdf-4b29-aaf6-b526ce1477f3"}}
    """#

  /// `message_add_kwargs.raw.json`.
  static let messageKwargs = #"""
    {"body": "W1tdLCB7IngiOiAyLCAieSI6IDN9LCB7ImNhbGxiYWNrcyI6IG51bGwsICJlcnJiYWNrcyI6IG51bGwsICJjaGFpbiI6IG51bGwsICJjaG9yZCI6IG51bGx9XQ==", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.add", "id": "4491778f-e053-456a-aa24-29f276a242e5", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "4491778f-e053-456a-aa24-29f276a242e5", "parent_id": null, "argsrepr": "()", "kwargsrepr": "{'x': 2, 'y': 3}", "origin": "gen27570@vm", "ignore_result": null, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}}, "properties": {"correlation_id": "4491778f-e053-456a-aa24-29f276a242e5", "reply_to": "1f39cc54-237f-345c-b9fa-c724d7dd0446", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "347e3d05-86cb-42b1-b2a0-5202efceb9e4"}}
    """#

  /// `result_success_args.json`.
  static let resultSuccessArgs = #"""
    {"status": "SUCCESS", "result": 5, "traceback": null, "children": [], "date_done": "2026-11-24T17:48:13.973205+00:00", "task_id": "7b6065d8-3a30-4acb-a406-1c50fc21f85d"}
    """#

  /// `result_failure_boom.json`.
  static let resultFailureBoom = #"""
    {"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["boom"], "exc_module": "builtins"}, "traceback": "Traceback (most recent call last):\n  File \"/srv/celery-bench/.venv/lib/python3.11/site-packages/celery/app/trace.py\", line 564, in trace_task\n    R = retval = fun(*args, **kwargs)\n                 ^^^^^^^^^^^^^^^^^^^^\n  File \"/srv/celery-bench/.venv/lib/python3.11/site-packages/celery/app/trace.py\", line 883, in __protected_call__\n    return self.run(*args, **kwargs)\n           ^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/srv/celery-bench/tasks.py\", line 84, in boom\n    raise ValueError(\"boom\")\nValueError: boom\n", "children": [], "date_done": "2026-11-24T17:48:13.987847+00:00", "task_id": "cd1564c2-d9d2-4673-bf52-5b4f46667c2d"}
    """#

  /// `result_worker_lost.json`.
  static let resultWorkerLost = #"""
    {"status": "FAILURE", "result": {"exc_type": "WorkerLostError", "exc_message": ["Worker exited prematurely: signal 9 (SIGKILL) Job: 0."], "exc_module": "billiard.exceptions"}, "traceback": null, "children": [], "date_done": "2026-11-24T18:12:06.879282+00:00", "task_id": "cc2886db-eed3-4dff-b557-fd57e93fd63a"}
    """#

  /// The message of `canvas/queued_chain.json` (`chain(add(1, 2), add(3), add(4))`), as kombu
  /// stores it (the capture's `body_decoded` helper field left out).
  static let queuedChain: String? = #"""
    {"body": "W1sxLCAyXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogW3sidGFzayI6ICJ0YXNrcy5hZGQiLCAiYXJncyI6IFs0XSwgImt3YXJncyI6IHt9LCAib3B0aW9ucyI6IHsidGFza19pZCI6ICI5ZDk5NGExZC03ZDY2LTRhZWMtYjQ2Mi05Y2VmYmExZWNkNTUiLCAicmVwbHlfdG8iOiAiMThhMTE2NmItYThlZi0zYzBmLWE1YjQtYTFhOTFjYzRmZmY1In0sICJzdWJ0YXNrX3R5cGUiOiBudWxsLCAiaW1tdXRhYmxlIjogZmFsc2V9LCB7InRhc2siOiAidGFza3MuYWRkIiwgImFyZ3MiOiBbM10sICJrd2FyZ3MiOiB7fSwgIm9wdGlvbnMiOiB7InRhc2tfaWQiOiAiYTg3NDdmYWYtNjNmZC00NzZkLTg5ZGYtMjliZWIxMGI3NzI2IiwgInJlcGx5X3RvIjogIjE4YTExNjZiLWE4ZWYtM2MwZi1hNWI0LWExYTkxY2M0ZmZmNSJ9LCAic3VidGFza190eXBlIjogbnVsbCwgImltbXV0YWJsZSI6IGZhbHNlfV0sICJjaG9yZCI6IG51bGx9XQ==", "content-encoding": "utf-8", "content-type": "application/json", "headers": {"lang": "py", "task": "tasks.add", "id": "31951e4f-1730-4dd8-ab4e-0b604bc6e453", "shadow": null, "eta": null, "expires": null, "group": null, "group_index": null, "retries": 0, "timelimit": [null, null], "root_id": "31951e4f-1730-4dd8-ab4e-0b604bc6e453", "parent_id": null, "argsrepr": "(1, 2)", "kwargsrepr": "{}", "origin": "gen1943@vm", "ignore_result": null, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}}, "properties": {"correlation_id": "31951e4f-1730-4dd8-ab4e-0b604bc6e453", "reply_to": "18a1166b-a8ef-3c0f-a5b4-a1a91cc4fff5", "delivery_mode": 2, "delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "a60113f1-ce13-4737-a057-4805b30b3887"}}
    """#
}
