/// The example's HTML pages: self-contained (inline style and script, no external assets).
enum Pages {
  /// The style every page shares.
  static let style = """
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
           padding: 0 1rem; color: #1d2430; background: #f6f7f9; }
    h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
    .lead { color: #56607a; margin-top: 0; }
    section, .card { background: #fff; border: 1px solid #dde1e8; border-radius: 10px;
                     padding: 1rem 1.2rem; margin: 1rem 0; }
    input[type=text] { font: inherit; padding: .35rem .5rem; width: 16rem;
                       border: 1px solid #b9c0cc; border-radius: 6px; }
    button { font: inherit; padding: .35rem .9rem; border: 0; border-radius: 6px;
             background: #3b5bdb; color: #fff; cursor: pointer; }
    .state { display: inline-block; padding: .1rem .6rem; border-radius: 999px;
             font-weight: 600; background: #e7eaf0; }
    .state.success { background: #d3f9d8; color: #2b8a3e; }
    .state.failure, .state.revoked { background: #ffe3e3; color: #c92a2a; }
    .state.progress, .state.started { background: #fff3bf; color: #8f6a00; }
    .error { color: #c92a2a; font-weight: 600; }
    progress { width: 100%; height: 1rem; }
    img { border: 1px solid #dde1e8; border-radius: 6px; image-rendering: auto; }
    code { background: #eef0f4; padding: 0 .3rem; border-radius: 4px; }
    """

  /// A whole page around `body`.
  static func page(title: String, body: String, attributes: String = "") -> String {
    """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(HTML.escape(title)) · Celeriac example</title><style>\(style)</style></head>
    <body \(attributes)>\(body)</body></html>
    """
  }

  /// The home page: one form per kind of work.
  static func index() -> String {
    page(
      title: "Celeriac example",
      body: """
        <h1>Celeriac web example</h1>
        <p class="lead">Each form sends a task and answers at once; the task page follows
        the task while a Celeriac worker runs it.</p>
        <section><h2>\(ExampleKind.thumbnail.title)</h2>
        <form id="thumbnail-form" method="post" action="/thumbnail" enctype="multipart/form-data">
        <input id="image" type="file" name="image" accept="image/png">
        <button id="thumbnail-submit">Make a thumbnail</button></form>
        <p class="lead">A PNG image; the thumbnail fits a 160-pixel square.</p></section>
        <section><h2>\(ExampleKind.report.title)</h2>
        <form id="report-form" method="post" action="/report">
        <input type="text" name="title" value="Primes" aria-label="title">
        <input id="limit" type="text" name="limit" value="100000" aria-label="limit">
        <button id="report-submit">Make the PDF</button></form>
        <p class="lead">Every prime up to the limit (at most 2,000,000), ten to a line.</p></section>
        <section><h2>\(ExampleKind.factor.title)</h2>
        <form id="factor-form" method="post" action="/factor">
        <input id="number" type="text" name="number" value="18446744073709551557" aria-label="number">
        <button id="factor-submit">Factor</button></form>
        <p class="lead">A whole number up to 18446744073709551615.</p></section>
        <section><h2>\(ExampleKind.count.title)</h2>
        <form id="count-form" method="post" action="/count">
        <input id="path" type="text" name="path" value="/usr/share" aria-label="path">
        <button id="count-submit">Count</button></form></section>
        """)
  }

  /// A form that could not be sent, with the reason (answered with status 400).
  static func badRequest(_ message: String) -> String {
    page(
      title: "Cannot send",
      body: """
        <h1>Cannot send the task</h1><p id="error" class="error">\(HTML.escape(message))</p>
        <p><a href="/">Back</a></p>
        """)
  }

  /// The page of one task: its state, progress and result, kept up to date by polling
  /// `/api/tasks/<id>`.
  static func task(kind: ExampleKind, id: String) -> String {
    page(
      title: kind.title,
      body: """
        <h1>\(HTML.escape(kind.title))</h1>
        <p class="lead">Task <code id="task-id">\(HTML.escape(id))</code></p>
        <div class="card"><p>State: <span id="state" class="state">PENDING</span></p>
        <progress id="progress" max="1" value="0" hidden></progress>
        <p id="progress-text"></p>
        <div id="result"></div><p id="error" class="error" hidden></p></div>
        <p><a href="/">Send another</a></p>
        <script>\(script)</script>
        """,
      attributes: "data-kind=\"\(kind.rawValue)\" data-task=\"\(HTML.escape(id))\"")
  }

  /// Polls the task's status and renders it; text is set with `textContent`, never as HTML.
  static let script = """
    const kind = document.body.dataset.kind, id = document.body.dataset.task;
    const $ = (name) => document.getElementById(name);
    function add(parent, tag, text, attributes) {
      const element = document.createElement(tag);
      if (text !== undefined) element.textContent = text;
      for (const [key, value] of Object.entries(attributes || {})) element.setAttribute(key, value);
      parent.appendChild(element);
      return element;
    }
    function showProgress(meta) {
      if (!meta) return;
      if (meta.total) {
        $('progress').hidden = false;
        $('progress').max = meta.total; $('progress').value = meta.current;
        $('progress-text').textContent = meta.current + ' of ' + meta.total;
      } else if (meta.found) {
        $('progress-text').textContent = 'prime factors found so far: ' + meta.found.join(', ');
      } else if (meta.files !== undefined) {
        $('progress-text').textContent = meta.files + ' files, ' + meta.directories + ' folders so far';
      }
    }
    function showResult(value) {
      const result = $('result');
      $('progress').hidden = true; $('progress-text').textContent = '';
      if (kind === 'thumbnail') {
        add(result, 'p', value.width + '×' + value.height + ' thumbnail of a '
          + value.originalWidth + '×' + value.originalHeight + ' image');
        add(result, 'img', undefined, {id: 'thumbnail', src: '/files/' + id + '.png',
          width: value.width, height: value.height, alt: 'thumbnail'});
      } else if (kind === 'report') {
        const line = add(result, 'p');
        add(line, 'a', 'Open the report (PDF)', {id: 'report-link', href: '/files/' + id + '.pdf'});
        add(line, 'span', ': ' + value.pages + ' pages, ' + value.primes + ' primes, '
          + value.bytes + ' bytes');
      } else if (kind === 'factor') {
        add(result, 'p', value.number + ' = ' + value.factors.join(' × '), {id: 'factors'});
        if (value.factors.length === 1) add(result, 'p', 'It is prime.');
      } else {
        add(result, 'p', value.files + ' files and ' + value.directories + ' folders, '
          + value.bytes.toLocaleString('en') + ' bytes, under ' + value.path, {id: 'count'});
      }
    }
    async function refresh() {
      let status;
      try {
        status = await (await fetch('/api/tasks/' + encodeURIComponent(id))).json();
      } catch (error) {
        setTimeout(refresh, 1000);
        return;
      }
      $('state').textContent = status.state;
      $('state').className = 'state ' + status.state.toLowerCase();
      if (!status.ready) { showProgress(status.progress); setTimeout(refresh, 250); return; }
      if (status.error) { $('error').textContent = status.error; $('error').hidden = false;
        $('progress').hidden = true; return; }
      showResult(status.result);
    }
    refresh();
    """
}
