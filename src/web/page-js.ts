/**
 * The page's script, served as /app.js. Run data only ever enters the document through `h()` as text nodes
 * (never innerHTML). The token comes from the URL fragment (`#token=…`, read once, then removed from the address
 * bar) or from the box in the header, is kept in sessionStorage, and is sent only in the Authorization header.
 */
export const APP_JS = String.raw`"use strict";
(function () {
  var KEY = "cutover-token";
  var state = { token: null, user: null, message: null, busy: false, timer: null, lastView: null, offline: false };

  function h(tag, attrs) {
    var el = document.createElement(tag);
    for (var k in attrs || {}) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else if (k === "disabled") el.disabled = true;
      else el.setAttribute(k, String(v));
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, c) {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) return c.forEach(function (x) { add(el, x); });
    el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  function badge(status, extra) { return h("span", { class: "badge s-" + status + " " + (extra || "") }, status); }
  function time(iso) { return iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : ""; }
  function stamp(iso) {
    if (!iso) return "";
    var d = new Date(iso), p = function (n) { return String(n).padStart(2, "0"); };
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + time(iso);
  }
  function dur(ms) {
    if (ms === undefined || ms === null) return "";
    if (ms < 1000) return ms + " ms";
    var s = ms / 1000;
    if (s < 60) return s.toFixed(1) + " s";
    var m = Math.floor(s / 60);
    return m + " min " + String(Math.round(s % 60)).padStart(2, "0") + " s";
  }

  function takeTokenFromFragment() {
    var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      sessionStorage.setItem(KEY, decodeURIComponent(m[1]));
      history.replaceState(null, "", location.pathname);
    }
    state.token = sessionStorage.getItem(KEY);
  }

  function api(method, path, body) {
    var headers = { Accept: "application/json" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    if (body) headers["Content-Type"] = "application/json";
    return fetch(path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
      credentials: "omit", cache: "no-store" }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var e = new Error((data.error && data.error.message) || res.status + " " + res.statusText);
          e.status = res.status; e.hint = data.error && data.error.hint;
          throw e;
        }
        return data;
      });
    });
  }

  function renderAuth() {
    var box = document.getElementById("auth");
    box.replaceChildren();
    if (state.token) {
      add(box, [h("span", { id: "acting" }, "acting as " + (state.user || "token holder")),
        h("button", { type: "button", onclick: function () {
          sessionStorage.removeItem(KEY); state.token = null; state.user = null; renderAuth(); refresh();
        } }, "Forget token")]);
      return;
    }
    var input = h("input", { id: "token-input", type: "password", placeholder: "token (printed by cutover serve)",
      autocomplete: "off" });
    var use = function () {
      var t = input.value.trim();
      if (!t) return;
      state.token = t;
      api("POST", "/api/token").then(function (r) {
        sessionStorage.setItem(KEY, t); state.user = r.user; state.message = null; renderAuth(); refresh();
      }, function (e) {
        state.token = null; state.message = { error: true, text: "token refused: " + e.message }; refresh();
      });
    };
    add(box, h("form", { onsubmit: function (ev) { ev.preventDefault(); use(); } },
      input, h("button", { type: "submit", id: "token-use" }, "Use token")));
  }

  function messageBanner() {
    var m = state.message;
    if (!m) return null;
    return h("div", { id: "message", class: "banner " + (m.error ? "error" : "info") }, m.text,
      m.hint ? h("span", { class: "hint" }, m.hint) : null);
  }

  function renderList(data) {
    var main = document.getElementById("main");
    var parts = [h("h1", null, "Runs"), messageBanner()];
    if (!data.environments.length) parts.push(h("p", { class: "muted" }, "No runs yet in this state store."));
    data.environments.forEach(function (env) {
      parts.push(h("section", { class: "card env" },
        h("h2", null, "environment " + env.environment,
          h("span", { class: "muted" }, env.runs.length + (env.runs.length === 1 ? " run" : " runs"))),
        h("table", null,
          h("thead", null, h("tr", null, ["run", "playbook", "status", "at step", "started", "updated"].map(
            function (t) { return h("th", null, t); }))),
          h("tbody", null, env.runs.map(function (r) {
            return h("tr", null,
              h("td", { class: "id" }, h("a", { href: "/runs/" + encodeURIComponent(r.runId) }, r.runId)),
              h("td", null, r.playbook), h("td", null, badge(r.status),
                r.driverGone ? h("span", { class: "muted" }, " nothing runs it") : null),
              h("td", { class: "mono" }, r.step || ""), h("td", null, stamp(r.startedAt)),
              h("td", null, stamp(r.updatedAt)));
          })))));
    });
    main.replaceChildren.apply(main, parts.filter(Boolean));
  }

  function decideButton(label, cls, decision, stepId, can) {
    return h("button", { type: "button", class: cls, id: "btn-" + decision,
      disabled: !can || !state.token || state.busy,
      onclick: function () { act(decision, stepId); } }, label + (stepId ? " " + stepId : ""));
  }

  function act(decision, stepId) {
    var text = document.getElementById("note").value.trim();
    if (decision === "abort" && !text) {
      state.message = { error: true, text: "abort needs a reason: type it in the box (it is journaled)" };
      return renderRun(state.lastView);
    }
    state.busy = true;
    var body = { decision: decision };
    if (stepId) body.stepId = stepId;
    if (decision === "abort") body.reason = text; else if (text) body.note = text;
    api("POST", "/api/runs/" + encodeURIComponent(runIdOfPage()) + "/decisions", body).then(function () {
      state.message = null; // the drive banner (v.drive) reports it from now on
      document.getElementById("note").value = "";
    }, function (e) {
      state.message = { error: true, text: "refused: " + e.message, hint: e.hint };
    }).then(function () { state.busy = false; refresh(); });
  }

  function renderRun(v) {
    if (!v) return;
    state.lastView = v;
    var s = v.state, main = document.getElementById("main");
    var noteBox = document.getElementById("note");
    var typed = noteBox ? noteBox.value : "";
    var can = v.can;
    var parts = [];
    parts.push(h("h1", null, h("span", { class: "runid" }, s.runId), badge(s.status, "big"),
      v.driverGone ? h("span", { class: "badge s-interrupted" }, "nothing is running it") : null));
    parts.push(h("dl", { class: "meta card" },
      h("dt", null, "playbook"),
      h("dd", null, s.playbook.name + " ", h("span", { class: "muted mono" }, s.playbook.file)),
      h("dt", null, "environment"), h("dd", null, s.environment),
      h("dt", null, "started"), h("dd", null, stamp(s.startedAt) + " by " + s.startedBy.user + "@" + s.startedBy.host),
      s.finishedAt ? [h("dt", null, "finished"), h("dd", null, stamp(s.finishedAt))] : null,
      paramsText(s) ? [h("dt", null, "params"), h("dd", { class: "mono", id: "params" }, paramsText(s))] : null,
      h("dt", null, "lease"),
      h("dd", { id: "lease" }, v.lease ? v.lease.holder + (v.lease.thisRun ? "" : " (another run)") +
        ", expires " + time(v.lease.expiresAt) : "free")));
    if (s.pause && s.status === "paused")
      parts.push(h("div", { id: "pause", class: "banner waiting" },
        h("strong", null, s.pause.reason === "approval" ? "Waiting for approval. " : "Paused. "),
        s.pause.message, s.pause.expiresAt ? h("span", { class: "hint" }, "expires " + stamp(s.pause.expiresAt) +
        " (then: " + s.pause.onExpiry + ")") : null));
    if (s.abortRequested && s.status !== "aborted")
      parts.push(h("div", { class: "banner waiting" }, "Abort requested by " + s.abortRequested.by.user +
        (s.abortRequested.reason ? ": " + s.abortRequested.reason : "")));
    if (s.error && (s.status === "failed" || s.status === "aborted"))
      parts.push(h("div", { class: "banner error" }, s.error.message));
    if (v.drive) parts.push(h("div", { id: "drive", class: "banner " + (v.drive.state === "error" ? "error" : "info") },
      v.drive.by + " chose " + v.drive.decision + " at " + time(v.drive.at) + ": " +
      (v.drive.state === "driving" ? "the run is continuing in cutover serve…" :
        v.drive.state === "done" ? "the run is now " + v.drive.status : "the drive stopped: " + v.drive.error)));
    if (state.offline) parts.push(h("div", { class: "banner error" }, "cannot reach cutover serve; retrying"));
    parts.push(messageBanner());
    var anyDecision = can.approve || can.retry || can.skip || can.abort;
    if (anyDecision) {
      var note = h("textarea", { id: "note", placeholder: "note for the journal (abort: the reason, required)" });
      note.value = typed;
      parts.push(h("section", { class: "card actions" }, h("h2", null, "Decide"), note,
        h("div", { class: "row" },
          can.approve ? decideButton("Approve", "approve", "approve", can.approve, true) : null,
          can.retry ? decideButton("Retry", "retry", "retry", can.retry, true) : null,
          can.skip ? decideButton("Skip", "skip", "skip", can.skip, true) : null,
          decideButton("Abort", "abort", "abort", null, can.abort),
          state.token ? null : h("span", { class: "muted" }, "enter the token (top right) to decide"))));
    }
    var now = Date.now();
    parts.push(h("section", { class: "card" }, h("h2", null, "Steps"), h("table", { id: "steps" },
      h("thead", null, h("tr", null, ["step", "action", "status", "attempts", "time", "undo", "what changed"].map(
        function (t) { return h("th", null, t); }))),
      h("tbody", null, v.steps.map(function (st) {
        var ms = st.status === "running" && st.startedAt ? now - Date.parse(st.startedAt) : st.durationMs;
        return h("tr", { "data-step": st.id },
          h("td", { class: "mono" }, st.id), h("td", { class: "mono muted" }, st.action || ""),
          h("td", null, badge(st.status)), h("td", null, st.attempts || ""),
          h("td", null, st.attempts ? dur(ms) : ""),
          h("td", null,
            st.undo && st.undo.status !== "none" && st.undo.status !== "pending" ? badge(st.undo.status) : ""),
          h("td", null, st.error ? h("span", { class: "err" }, st.error.message) : null,
            st.effect && st.status === "succeeded" ? h("span", { class: "effect" }, st.effect) : null,
            st.approvedBy ? h("span", { class: "muted" }, "approved by " + st.approvedBy.user) : null));
      })))));
    var preview = v.abortPreview || [];
    var undoes = preview.filter(function (p) { return p.undo === "recorded" || p.undo === "override"; });
    var leaves = preview.filter(function (p) { return p.undo === "irreversible" || p.undo === "disabled"; });
    parts.push(h("div", { class: "grid" },
      h("section", { class: "card", id: "abort-preview" }, h("h2", null, "What abort would do"),
        preview.length ? null : h("p", { class: "muted" }, ["succeeded", "failed", "aborted"].indexOf(s.status) >= 0 ?
          "the run has finished (" + s.status + ")." : "nothing to undo."),
        undoes.length ? h("p", null, "undo, in this order: ", h("span", { class: "mono" },
          undoes.map(function (p) {
            return p.id + (p.behindBarrier ? " (behind data barrier " + p.behindBarrier + ")" : "");
          })
            .join(", "))) : null,
        leaves.length ? h("p", null, "leave in place: ", h("span", { class: "mono" },
          leaves.map(function (p) { return p.id + " (" + p.undo + ")"; }).join(", "))) : null),
      h("section", { class: "card" }, h("h2", null, "Timeline"), h("ul", { class: "timeline", id: "timeline" },
        v.timeline.slice().reverse().map(function (t) {
          return h("li", null, h("span", { class: "muted mono" }, time(t.at)), h("span", { class: "dot k-" + t.kind }),
            h("span", null, t.text,
              t.durationMs !== undefined ? h("span", { class: "muted" }, " " + dur(t.durationMs)) : null,
              t.by ? h("span", { class: "who" }, "  by " + t.by) : null));
        })))));
    var focused = document.activeElement && document.activeElement.id === "note";
    main.replaceChildren.apply(main, parts.filter(Boolean));
    if (focused && document.getElementById("note")) document.getElementById("note").focus();
  }

  function paramsText(s) {
    var parts = Object.keys(s.params).map(function (k) { return k + "=" + JSON.stringify(s.params[k]); });
    return parts.concat(s.secretParams.map(function (k) { return k + "=***"; })).join("  ");
  }

  function runIdOfPage() {
    var m = /^\/runs\/([^/]+)$/.exec(location.pathname);
    return m ? decodeURIComponent(m[1]) : null;
  }

  function refresh() {
    clearTimeout(state.timer);
    var id = runIdOfPage();
    var done = function (ms) { state.timer = setTimeout(refresh, ms); };
    var failed = function (e) {
      if (e.status === 401 && !state.token)
        state.message = { error: true, text: "this server needs the token to show runs" };
      else if (!e.status) state.offline = true;
      else state.message = { error: true, text: e.message, hint: e.hint };
      if (id && state.lastView) renderRun(state.lastView); else if (!id) renderList({ environments: [] });
      done(2000);
    };
    if (id) api("GET", "/api/runs/" + encodeURIComponent(id)).then(function (v) {
      state.offline = false; renderRun(v); done(1000);
    }, failed);
    else api("GET", "/api/runs").then(function (d) { state.offline = false; renderList(d); done(2000); }, failed);
  }

  takeTokenFromFragment();
  if (state.token) api("POST", "/api/token").then(function (r) { state.user = r.user; renderAuth(); }, function () {
    sessionStorage.removeItem(KEY); state.token = null; renderAuth();
  });
  renderAuth();
  refresh();
})();
`;
