/**
 * The console's one script, served at /console/assets/console.js: small islands on server-rendered pages (live
 * server states over SSE, buttons that POST, the try-it form, the sign-in link's key). No framework, no build.
 * State-changing requests send JSON with the page's CSRF token in X-Manifold-CSRF.
 */
export const consoleJs = String.raw`'use strict';
(function () {
  var csrfMeta = document.querySelector('meta[name="manifold-csrf"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-manifold-csrf': csrf },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.text().then(function (text) {
        var data;
        try { data = JSON.parse(text); } catch (error) { data = { error: text }; }
        if (!response.ok) throw new Error(data.error || ('HTTP ' + response.status));
        return data;
      });
    });
  }

  function say(target, text, isError) {
    if (!target) return;
    target.textContent = text;
    target.className = isError ? 'error-text' : '';
  }

  // Sign in from a link: /console/login#key=... fills the field and submits (the key never reaches a server log).
  var login = document.getElementById('login');
  if (login && location.hash.indexOf('#key=') === 0) {
    var key = decodeURIComponent(location.hash.slice(5));
    history.replaceState(null, '', location.pathname + location.search);
    login.querySelector('#key').value = key;
    login.submit();
  }

  // Buttons that POST (restart, cancel, approve, revoke, verify …).
  document.addEventListener('click', function (event) {
    var button = event.target.closest ? event.target.closest('button[data-post]') : null;
    if (!button) return;
    var question = button.getAttribute('data-confirm');
    if (question && !window.confirm(question)) return;
    var result = document.getElementById(button.id === 'verify-audit' ? 'verify-result' : 'action-result');
    button.disabled = true;
    say(result, 'working…');
    post(button.getAttribute('data-post'), {}).then(function (data) {
      say(result, data.message || JSON.stringify(data));
      if (data.reload) setTimeout(function () { location.reload(); }, 400);
    }, function (error) {
      say(result, error.message, true);
    }).then(function () { button.disabled = false; });
  });

  // Forms posted as JSON (create a key).
  Array.prototype.forEach.call(document.querySelectorAll('form[data-json-post]'), function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      var body = {};
      Array.prototype.forEach.call(form.elements, function (element) {
        if (element.name && element.value !== '') body[element.name] = element.value;
      });
      var result = document.getElementById('form-result');
      post(form.getAttribute('data-json-post'), body).then(function (data) {
        say(result, data.message || JSON.stringify(data));
      }, function (error) { say(result, error.message, true); });
    });
  });

  // Try it: the form generated from the input schema, read back by each field's data-type.
  var tryIt = document.getElementById('try-it');
  if (tryIt) {
    tryIt.addEventListener('submit', function (event) {
      event.preventDefault();
      var output = document.getElementById('try-result');
      var args = {};
      try {
        var whole = tryIt.querySelector('[data-arguments]');
        if (whole) args = JSON.parse(whole.value || '{}');
        Array.prototype.forEach.call(tryIt.querySelectorAll('[data-arg]'), function (field) {
          var name = field.getAttribute('data-arg');
          var type = field.getAttribute('data-type');
          if (type === 'boolean') { args[name] = field.checked; return; }
          if (field.value === '') return;
          if (type === 'number') args[name] = Number(field.value);
          else if (type === 'json') args[name] = JSON.parse(field.value);
          else args[name] = field.value;
        });
      } catch (error) {
        say(output, 'Not valid JSON: ' + error.message, true);
        return;
      }
      output.textContent = 'calling…';
      post(tryIt.getAttribute('data-call'), { arguments: args }).then(function (data) {
        output.textContent = '';
        var status = document.createElement('p');
        status.textContent = (data.result && data.result.isError ? 'The tool reported an error' : 'Result') + ' in ' + data.ms + ' ms';
        if (data.result && data.result.isError) status.className = 'error-text';
        var pre = document.createElement('pre');
        pre.id = 'try-output';
        pre.textContent = data.text !== undefined ? data.text : JSON.stringify(data.result, null, 2);
        var details = document.createElement('details');
        var summary = document.createElement('summary');
        summary.textContent = 'Whole result (JSON)';
        var json = document.createElement('pre');
        json.textContent = JSON.stringify(data.result, null, 2);
        details.appendChild(summary);
        details.appendChild(json);
        output.appendChild(status);
        output.appendChild(pre);
        output.appendChild(details);
      }, function (error) { say(output, error.message, true); });
    });
  }

  // A filter box over table rows.
  Array.prototype.forEach.call(document.querySelectorAll('input[data-filter]'), function (input) {
    var rows = document.querySelectorAll(input.getAttribute('data-filter'));
    input.addEventListener('input', function () {
      var needle = input.value.toLowerCase();
      Array.prototype.forEach.call(rows, function (row) {
        row.hidden = needle !== '' && row.textContent.toLowerCase().indexOf(needle) < 0;
      });
    });
  });

  // Servers: live states over SSE.
  var table = document.querySelector('table[data-live]');
  if (table && window.EventSource) {
    var live = document.getElementById('live-state');
    var source = new EventSource(table.getAttribute('data-live'));
    source.addEventListener('open', function () { if (live) live.textContent = 'connected'; });
    source.addEventListener('error', function () { if (live) live.textContent = 'reconnecting…'; });
    source.addEventListener('server', function (event) {
      var report = JSON.parse(event.data);
      var row = document.getElementById('server-' + report.server);
      if (!row) return;
      row.setAttribute('data-status', report.status);
      var set = function (field, text) {
        var cell = row.querySelector('[data-field="' + field + '"]');
        if (cell) cell.textContent = text;
      };
      var badge = row.querySelector('[data-field="status"]');
      badge.className = 'badge ' + report.status;
      set('status', report.status);
      set('state', report.state);
      set('era', report.era || '–');
      set('transport', report.transport || '–');
      set('latency', report.connectMs !== undefined ? 'connect ' + report.connectMs + ' ms' : '–');
      set('tools', String(report.tools));
      set('resources', String(report.resources));
      set('prompts', String(report.prompts));
      set('error', report.error || '');
      var up = document.querySelectorAll('#servers tbody tr [data-field="status"].up').length;
      var upCount = document.querySelector('[data-summary="up"]');
      if (upCount) upCount.textContent = String(up);
    });
  }
})();
`;
