// fenlei chat page. Every piece of data from the server or the user is put in the page with
// textContent (via el()), never parsed as markup: no HTML-string API is used anywhere here
// (server_test.go checks this).
"use strict";

(function () {
  const log = document.getElementById("log");
  const form = document.getElementById("form");
  const input = document.getElementById("input");
  const sendBtn = document.getElementById("send");
  const status = document.getElementById("status");

  const L = {
    zh: {
      path: "路径", confidence: "置信度", citations: "依据（点击展开原文）", candidates: "候选分类",
      checks: "规则调整", question: "需要补充信息：", out: "不属于服务外包统计范围",
      disclaimer: "仅供参考，不构成官方认定。", up: "👍 有帮助", down: "👎 不对",
      correct: "正确代码", sendFb: "提交", thanks: "已收到反馈，谢谢！", fbFail: "反馈提交失败：",
      thinking: "正在分析…", connected: "已连接", closed: "连接断开，正在重连…",
    },
    en: {
      path: "Path", confidence: "Confidence", citations: "Sources (click to open the quote)", candidates: "Candidates",
      checks: "Rules applied", question: "More information needed: ", out: "not counted as service outsourcing",
      disclaimer: "This is guidance, not an official ruling.", up: "👍 Helpful", down: "👎 Wrong",
      correct: "correct code", sendFb: "Send", thanks: "Thanks for the feedback!", fbFail: "Feedback failed: ",
      thinking: "Thinking…", connected: "connected", closed: "disconnected, reconnecting…",
    },
  };
  const statusWords = {
    zh: { redirected: "改归", out: "不计入服务外包", lowered: "降低置信度", rejected: "驳回", dropped: "删除", split: "拆分", flagged: "标记待查" },
    en: {},
  };

  // el creates an element with a class and text content. Text is never parsed as HTML.
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function scroll() { window.scrollTo(0, document.body.scrollHeight); }

  function langOf(text) {
    let han = 0, other = 0;
    for (const ch of text) {
      if (/\p{Script=Han}/u.test(ch)) han++;
      else if (/\p{L}/u.test(ch)) other++;
    }
    return han > 0 && 3 * han >= other ? "zh" : "en";
  }

  let ws = null;
  let pending = null;      // the bubble waiting for the answer
  let lastText = "";       // the user's last message, sent with feedback
  let uiLang = (navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en";
  let retry = 500;

  function setStatus(text, cls) {
    status.textContent = text;
    status.className = "status " + (cls || "");
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/ws");
    ws.onopen = function () { retry = 500; setStatus(L[uiLang].connected, "ok"); sendBtn.disabled = false; };
    ws.onclose = function () {
      setStatus(L[uiLang].closed, "bad");
      if (pending) { pending.remove(); pending = null; }
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
    ws.onmessage = function (ev) {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.type === "delta") {
        if (!pending) pending = addPending();
        if (pending.dataset.started !== "1") { pending.textContent = ""; pending.dataset.started = "1"; }
        pending.append(document.createTextNode(String(m.text || "")));
        scroll();
      } else if (m.type === "answer" && m.decision) {
        const bubble = renderDecision(m.decision, lastText);
        if (pending) { pending.replaceWith(bubble); pending = null; } else { log.append(bubble); }
        sendBtn.disabled = false;
        scroll();
      } else if (m.type === "error") {
        const e = el("div", "msg error", m.message || m.error || "error");
        if (pending) { pending.replaceWith(e); pending = null; } else { log.append(e); }
        sendBtn.disabled = false;
        scroll();
      }
    };
  }

  function addPending() {
    const p = el("div", "msg bot pending", L[uiLang].thinking);
    log.append(p);
    return p;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const text = input.value;
    if (!text.trim() || !ws || ws.readyState !== WebSocket.OPEN) return;
    uiLang = langOf(text);
    lastText = text;
    log.append(el("div", "msg user", text));
    ws.send(JSON.stringify({ type: "user", text: text }));
    input.value = "";
    sendBtn.disabled = true;
    pending = addPending();
    scroll();
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit(); }
  });

  function renderDecision(d, asked) {
    const lang = d.lang === "en" ? "en" : "zh";
    const t = L[lang];
    const box = el("div", "msg bot answer-box");
    box.dataset.kind = d.kind || "";
    if (d.code) {
      const h = el("div", "code");
      h.append(el("span", "c", d.code));
      const name = (lang === "en" && d.name_en) ? d.name_en : (d.code === "OUT" ? t.out : d.name);
      h.append(el("span", "name", name || ""));
      box.append(h);
      if (Array.isArray(d.path) && d.path.length) box.append(el("div", "path", t.path + ": " + d.path.join(" › ")));
      if (typeof d.confidence === "number" && d.confidence > 0) box.append(el("div", "path", t.confidence + ": " + d.confidence.toFixed(2)));
    }
    if (d.answer) box.append(el("div", "answer", d.answer));
    if (!d.code && d.question) box.append(el("div", "question", t.question + d.question));

    if (Array.isArray(d.citations) && d.citations.length) {
      box.append(el("h3", "", t.citations));
      for (const c of d.citations) {
        const det = el("details", "citation");
        det.append(el("summary", "", (c.section || c.ref || "") + (c.ref && c.section ? " (" + c.ref + ")" : "")));
        det.append(el("blockquote", "quote", c.quote || ""));
        box.append(det);
      }
    }
    const cands = (d.candidates || []).filter(function (c) { return c && c.code !== d.code; });
    if (cands.length) {
      box.append(el("h3", "", t.candidates));
      const ul = el("ul", "candidates");
      for (const c of cands) {
        ul.append(el("li", "", c.code + (c.name ? " " + c.name : "") + " — " + Number(c.score || 0).toFixed(2)));
      }
      box.append(ul);
    }
    const moved = (d.checks || []).filter(function (c) { return c && c.status && c.status !== "ok"; });
    if (moved.length) {
      box.append(el("h3", "", t.checks));
      const ul = el("ul", "checks");
      for (const c of moved) {
        let s = (c.rule || "") + " (" + (statusWords[lang][c.status] || c.status);
        if (c.from || c.to) s += ": " + (c.from || "") + " → " + (c.to || "");
        s += ")";
        if (c.ref) s += " " + c.ref;
        if (c.detail) s += " — " + c.detail;
        ul.append(el("li", "", s));
      }
      box.append(ul);
    }
    if (d.kind !== "help") {
      box.append(el("div", "disclaimer", t.disclaimer));
      box.append(feedbackBar(d, asked, t));
    }
    return box;
  }

  function feedbackBar(d, asked, t) {
    const bar = el("div", "feedback");
    const up = el("button", "up", t.up);
    const down = el("button", "down", t.down);
    const fix = el("input", "fix");
    fix.placeholder = t.correct;
    fix.maxLength = 8;
    fix.hidden = true;
    const send = el("button", "send-fb", t.sendFb);
    send.hidden = true;
    const note = el("span", "note");
    up.type = down.type = send.type = "button";
    function post(vote) {
      const body = { vote: vote, code: d.code || "", text: asked || "", record_id: d.record_id || "" };
      if (vote === "down" && fix.value.trim()) body.correct = fix.value.trim();
      fetch("/api/feedback", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
        .then(function (res) {
          if (res[0]) { bar.replaceChildren(el("span", "note", t.thanks)); }
          else { note.textContent = t.fbFail + (res[1].error || ""); }
        })
        .catch(function (e) { note.textContent = t.fbFail + e; });
    }
    up.addEventListener("click", function () { post("up"); });
    down.addEventListener("click", function () { fix.hidden = false; send.hidden = false; fix.focus(); });
    send.addEventListener("click", function () { post("down"); });
    bar.append(up, down, fix, send, note);
    return bar;
  }

  sendBtn.disabled = true;
  connect();
})();
