// fenlei chat page. Every piece of data from the server or the user is put in the page with
// textContent (via el()), never parsed as markup: no HTML-string API is used anywhere here
// (server_test.go checks this). Controls are words, never emoji, so no emoji font is needed.
"use strict";

(function () {
  const $ = function (id) { return document.getElementById(id); };
  const log = $("log"), form = $("form"), input = $("input"), sendBtn = $("send"), status = $("status");
  const taxPanel = $("taxonomy"), taxTree = $("tax-tree"), taxDetail = $("tax-detail"), taxSearch = $("tax-search");

  const L = {
    zh: {
      sub: "按《中国服务外包统计调查制度操作指引（2022）》为您的服务归类，并逐字引用原文",
      taxonomy: "分类目录", taxonomyTitle: "分类目录：3 大类 › 9 中类 › 45 小类", close: "关闭",
      search: "搜索代码、名称或业务，如 I13、测试、呼叫中心", send: "发送",
      placeholder: "描述您的服务，例如：为银行定制开发信贷管理软件。输入“帮助”查看用法。",
      connecting: "连接中…", connected: "已连接", closed: "连接断开，正在重连…", thinking: "正在分析…",
      welcomeTitle: "您好！请描述您提供的服务",
      welcomeText: "用一两句话说明做什么、为谁做、交付什么。我会给出服务外包统计分类代码，并逐字引用《操作指引》原文作为依据。也可以直接问关于指引的问题，或在“分类目录”中浏览全部 45 个小类。",
      examplesLabel: "试试这些例子：",
      examples: ["为银行定制开发信贷管理软件", "帮客户公司管工资发放和社保", "电商代运营，负责店铺日常运营和推广",
        "软件测试服务，为客户产品上线前做测试", "劳务派遣算服务外包吗？", "交易平台注册要交哪些材料？"],
      path: "路径", confidence: "置信度", citations: "依据（指引原文）", deciding: "决定性依据",
      candidates: "其他候选", checks: "规则调整", question: "需要补充信息：", out: "不属于服务外包统计范围",
      disclaimer: "仅供参考，不构成官方认定。", copy: "复制答案和依据", copied: "已复制", copyFail: "复制失败，请手动选择文字",
      up: "有帮助", down: "不对", correct: "正确代码", sendFb: "提交", thanks: "已收到反馈，谢谢！", fbFail: "反馈提交失败：",
      chosen: "本次分类", asked: "您问的分类", definition: "定义", typical: "典型业务", excludes: "不包括",
      separating: "区分两者的条款", children: "下级分类", nameEN: "英文名称", noMatch: "没有匹配的分类。",
      score: "候选得分", sendTo: "应纳入", loadFail: "分类目录加载失败。", level: { major: "大类", middle: "中类", sub: "小类" },
    },
    en: {
      sub: "Finds the category of your service under the Operation Guidance on China Outsourcing Statistics (2022), quoting it word for word",
      taxonomy: "Categories", taxonomyTitle: "Categories: 3 classes › 9 middle classes › 45 sub-classes", close: "Close",
      search: "Search codes, names or businesses, e.g. I13, testing, call centre", send: "Send",
      placeholder: "Describe your service, e.g. we develop custom loan software for banks. Type help for usage.",
      connecting: "Connecting…", connected: "Connected", closed: "Disconnected, reconnecting…", thinking: "Thinking…",
      welcomeTitle: "Hello! Describe the service you provide",
      welcomeText: "Say in a sentence or two what you do, for whom, and what you deliver. I will give its service-outsourcing category and quote the guidance word for word as the reason. You can also ask about the guidance, or browse all 45 sub-classes in the category panel.",
      examplesLabel: "Try an example:",
      examples: ["We develop custom loan-management software for banks", "We run payroll and social insurance for client companies",
        "We test our client's mobile apps before release", "We run online shops for brands: operations and promotion",
        "Is labour dispatch counted as service outsourcing?", "What materials are needed to register on the trading platform?"],
      path: "Path", confidence: "Confidence", citations: "Sources (the guidance, verbatim)", deciding: "Deciding clause",
      candidates: "Other candidates", checks: "Rules applied", question: "More information needed: ", out: "not counted as service outsourcing",
      disclaimer: "This is guidance, not an official ruling.", copy: "Copy answer and sources", copied: "Copied", copyFail: "Copy failed: select the text instead",
      up: "Helpful", down: "Wrong", correct: "correct code", sendFb: "Send", thanks: "Thanks for the feedback!", fbFail: "Feedback failed: ",
      chosen: "This classification", asked: "The class you asked about", definition: "Definition", typical: "Typical businesses",
      excludes: "Does not include", separating: "Clauses that separate the two", children: "Sub-classes", nameEN: "Chinese name",
      noMatch: "No class matches.", score: "candidate score", sendTo: "goes to", loadFail: "The category list could not be loaded.",
      level: { major: "class", middle: "middle class", sub: "sub-class" },
    },
  };
  const statusWords = {
    zh: { redirected: "改归", out: "不计入服务外包", lowered: "降低置信度", rejected: "驳回", dropped: "删除", split: "拆分", flagged: "标记待查" },
    en: { redirected: "redirected", out: "not counted", lowered: "confidence lowered", rejected: "rejected", dropped: "dropped", split: "split", flagged: "flagged" },
  };

  // The reader's language: the browser's (Chinese unless it prefers English), then the language the
  // user writes in (each answer says it), or the toggle.
  function browserLang() {
    const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "zh"];
    for (const l of langs) {
      const s = String(l).toLowerCase();
      if (s.startsWith("zh")) return "zh";
      if (s.startsWith("en")) return "en";
    }
    return "zh";
  }
  let uiLang = browserLang();
  function t() { return L[uiLang]; }

  // el creates an element with a class and text content. Text is never parsed as HTML.
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function scroll() { log.scrollTop = log.scrollHeight; window.scrollTo(0, document.body.scrollHeight); }
  function pct(x) { return Math.round(Number(x) * 100) + "%"; }
  function colon(lang) { return lang === "en" ? ": " : "："; }

  // ---- language of the interface ----
  function applyLang() {
    const tt = t();
    document.documentElement.lang = uiLang === "en" ? "en" : "zh";
    for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = tt[e.dataset.i18n];
    for (const e of document.querySelectorAll("[data-i18n-placeholder]")) e.placeholder = tt[e.dataset.i18nPlaceholder];
    for (const e of document.querySelectorAll("[data-i18n-label]")) e.setAttribute("aria-label", tt[e.dataset.i18nLabel]);
    const tog = $("lang-toggle");
    tog.textContent = uiLang === "en" ? "中文" : "English";
    tog.lang = uiLang === "en" ? "zh" : "en";
    setStatus(statusKey);
    const w = document.querySelector(".welcome");
    if (w) w.replaceWith(welcome());
    renderTree();
    if (shown) showClass(shown);
  }
  $("lang-toggle").addEventListener("click", function () { uiLang = uiLang === "en" ? "zh" : "en"; applyLang(); });

  // ---- the conversation ----
  let ws = null;
  let pending = null;      // the bubble waiting for the answer
  let retry = 500;
  let statusKey = "connecting";

  function setStatus(key) {
    statusKey = key;
    status.textContent = t()[key];
    status.className = "status " + (key === "connected" ? "ok" : key === "closed" ? "bad" : "");
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(proto + location.host + "/ws");
    ws.onopen = function () { retry = 500; setStatus("connected"); sendBtn.disabled = false; };
    ws.onclose = function () {
      setStatus("closed");
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
        const d = m.decision;
        if ((d.lang === "en" || d.lang === "zh") && d.lang !== uiLang) { uiLang = d.lang; applyLang(); }
        const bubble = renderDecision(d);
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
    const p = el("div", "msg bot pending", t().thinking);
    log.append(p);
    return p;
  }

  function send(text) {
    if (!text.trim()) return false;
    if (!ws || ws.readyState !== WebSocket.OPEN) { input.value = text; input.focus(); return false; }
    log.append(el("div", "msg user", text));
    ws.send(JSON.stringify({ type: "user", text: text }));
    sendBtn.disabled = true;
    pending = addPending();
    scroll();
    return true;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (send(input.value)) input.value = "";
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit(); }
  });

  function welcome() {
    const tt = t();
    const w = el("div", "msg bot welcome");
    w.append(el("h2", "", tt.welcomeTitle), el("p", "", tt.welcomeText), el("p", "examples-label", tt.examplesLabel));
    const ex = el("div", "examples");
    for (const text of tt.examples) {
      const b = el("button", "example", text);
      b.type = "button";
      b.addEventListener("click", function () { send(text); });
      ex.append(b);
    }
    w.append(ex);
    return w;
  }

  // ---- a Decision ----
  function className(code, lang) {
    const c = classes[code];
    if (!c) return "";
    return lang === "en" && c.name_en ? c.name_en : c.name;
  }

  // pathLine shows a path as links with names: "ITO 信息技术外包服务 › I1 软件研发服务 › I11 软件研发服务".
  function pathLine(codes, lang, label) {
    const line = el("div", "path");
    if (label) line.append(el("span", "label", label + colon(lang)));
    codes.forEach(function (code, i) {
      if (i > 0) line.append(el("span", "sep", " › "));
      const a = el("a", "path-step", code);
      a.href = "#" + code;
      const name = className(code, lang);
      if (name) a.append(el("span", "step-name", " " + name));
      line.append(a);
    });
    return line;
  }

  // deciding is the index of the citation that decided: the clause of a rule that changed the answer,
  // else the first citation.
  function deciding(d) {
    const cites = d.citations || [];
    for (const c of d.checks || []) {
      if (c && c.status && c.status !== "ok" && c.ref) {
        const i = cites.findIndex(function (q) { return q && q.ref === c.ref; });
        if (i >= 0) return i;
      }
    }
    return cites.length ? 0 : -1;
  }

  function citation(c, tt, isDeciding) {
    const box = el("div", "citation" + (isDeciding ? " deciding" : ""));
    const head = el("div", "cite-head");
    if (isDeciding) head.append(el("span", "badge", tt.deciding));
    head.append(el("span", "section", c.section || ""));
    if (c.ref) head.append(el("span", "ref", c.ref));
    box.append(head, el("blockquote", "quote", c.quote || ""));
    return box;
  }

  function renderDecision(d) {
    const lang = d.lang === "en" ? "en" : "zh";
    const tt = L[lang];
    const box = el("div", "msg bot answer-box");
    box.dataset.kind = d.kind || "";
    box.lang = lang;
    if (d.kind === "explain") {
      renderExplain(box, d, tt, lang);
    } else {
      if (d.code) {
        const h = el("div", "code");
        h.append(el("span", "c", d.code));
        const name = d.code === "OUT" ? tt.out : ((lang === "en" && d.name_en) ? d.name_en : d.name);
        h.append(el("span", "name", name || ""));
        box.append(h);
        if (d.code !== "OUT" && Array.isArray(d.path) && d.path.length) box.append(pathLine(d.path, lang, tt.path));
        if (typeof d.confidence === "number" && d.confidence > 0) box.append(el("div", "confidence", tt.confidence + colon(lang) + pct(d.confidence)));
      } else if (Array.isArray(d.path) && d.path.length) {
        box.append(pathLine(d.path, lang, tt.path));
      }
      if (d.answer) box.append(el("div", "answer", d.answer));
      if (!d.code && d.question && d.question !== d.answer) box.append(el("div", "question", tt.question + d.question));
      const cites = d.citations || [];
      if (cites.length) {
        box.append(el("h3", "", tt.citations));
        const di = deciding(d);
        cites.forEach(function (c, i) { if (c) box.append(citation(c, tt, i === di)); });
      }
      renderCandidates(box, d, tt, lang);
    }
    renderChecks(box, d, tt, lang);
    if (d.kind !== "help") {
      box.append(copyButton(d, tt, lang));
      box.append(el("div", "disclaimer", tt.disclaimer));
      if (d.record_id) box.append(feedbackBar(d, tt)); // feedback judges the recorded answer
    }
    return box;
  }

  // Candidate scores are probabilities only once a code is chosen; for a clarifying question they
  // are retrieval scores, so only the names are shown. Candidates under 5% are left out: they say
  // nothing a reader can use.
  function renderCandidates(box, d, tt, lang) {
    const cands = (d.candidates || []).filter(function (c) { return c && c.code && c.code !== d.code; });
    const meaningful = !!d.code;
    const shown = cands.filter(function (c) { return !meaningful || Number(c.score) >= 0.05; });
    if (!shown.length) return;
    box.append(el("h3", "", tt.candidates));
    const ul = el("ul", "candidates");
    for (const c of shown) {
      const li = el("li", "");
      const a = el("a", "", c.code);
      a.href = "#" + c.code;
      li.append(a, el("span", "", " " + (className(c.code, lang) || c.name || "")));
      if (meaningful) li.append(el("span", "score", " " + pct(c.score)));
      ul.append(li);
    }
    box.append(ul);
  }

  function renderChecks(box, d, tt, lang) {
    const moved = (d.checks || []).filter(function (c) { return c && c.status && c.status !== "ok"; });
    if (!moved.length) return;
    box.append(el("h3", "", tt.checks));
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

  // A "why not" answer: the chosen class and the one asked about, side by side, each with its path,
  // definition and clauses; the clauses that concern both below.
  function renderExplain(box, d, tt, lang) {
    if (d.answer) box.append(el("div", "answer", d.answer));
    const cites = d.citations || [];
    const used = new Set();
    const grid = el("div", "compare");
    [[d.code, tt.chosen], [d.other, tt.asked]].forEach(function (pair) {
      const code = pair[0];
      if (!code) return;
      const col = el("section", "col");
      col.dataset.code = code;
      col.append(el("div", "role", pair[1]));
      const h = el("div", "code");
      h.append(el("span", "c", code), el("span", "name", code === "OUT" ? tt.out : className(code, lang)));
      col.append(h);
      const c = classes[code];
      if (c && c.path) col.append(pathLine(c.path.map(function (p) { return p.code; }), lang, ""));
      if (code === d.code && d.confidence > 0) col.append(el("div", "confidence", tt.confidence + colon(lang) + pct(d.confidence)));
      const cand = (d.candidates || []).find(function (x) { return x && x.code === code; });
      if (code !== d.code && cand && Number(cand.score) >= 0.05) col.append(el("div", "confidence", tt.score + colon(lang) + pct(cand.score)));
      cites.forEach(function (q, i) {
        if (q && q.ref && q.ref.indexOf(code + ".") === 0) { col.append(citation(q, tt, false)); used.add(i); }
      });
      grid.append(col);
    });
    box.append(grid);
    const rest = cites.filter(function (q, i) { return q && !used.has(i); });
    if (rest.length) {
      box.append(el("h3", "", tt.separating));
      for (const q of rest) box.append(citation(q, tt, false));
    }
  }

  // copyText is the answer with its citations, as plain text.
  function copyText(d, tt, lang) {
    const lines = [];
    if (d.code) lines.push(d.code + " " + (d.code === "OUT" ? tt.out : ((lang === "en" && d.name_en) ? d.name_en : d.name || "")));
    if (d.code && d.code !== "OUT" && d.path && d.path.length) {
      lines.push(tt.path + colon(lang) + d.path.map(function (c) { return (c + " " + className(c, lang)).trim(); }).join(" › "));
    }
    if (d.confidence > 0) lines.push(tt.confidence + colon(lang) + pct(d.confidence));
    if (d.answer) lines.push(d.answer);
    if (!d.code && d.question && d.question !== d.answer) lines.push(tt.question + d.question);
    const cites = d.citations || [];
    if (cites.length) {
      lines.push(tt.citations + colon(lang));
      cites.forEach(function (c, i) { lines.push("[" + (i + 1) + "] " + (c.section || "") + " (" + (c.ref || "") + ")", "    「" + (c.quote || "") + "」"); });
    }
    lines.push(tt.disclaimer);
    return lines.join("\n");
  }

  function copyButton(d, tt, lang) {
    const b = el("button", "copy", tt.copy);
    b.type = "button";
    b.addEventListener("click", function () {
      const text = copyText(d, tt, lang);
      const done = function (ok) {
        b.textContent = ok ? tt.copied : tt.copyFail;
        b.dataset.copied = ok ? "1" : "0";
        setTimeout(function () { b.textContent = tt.copy; }, 2500);
      };
      const fallback = function () {
        const ta = el("textarea", "offscreen", text);
        document.body.append(ta);
        ta.select();
        let ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        ta.remove();
        done(ok);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
      } else {
        fallback();
      }
    });
    return b;
  }

  function feedbackBar(d, tt) {
    const bar = el("div", "feedback");
    const up = el("button", "up", tt.up);
    const down = el("button", "down", tt.down);
    const fix = el("input", "fix");
    fix.placeholder = tt.correct;
    fix.maxLength = 8;
    fix.hidden = true;
    const send = el("button", "send-fb", tt.sendFb);
    send.hidden = true;
    const note = el("span", "note");
    up.type = down.type = send.type = "button";
    function post(vote) {
      // The server judges the recorded answer: its text and code are the record's.
      const body = { record_id: d.record_id || "", vote: vote };
      if (vote === "down" && fix.value.trim()) body.correct = fix.value.trim();
      fetch("/api/feedback", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
        .then(function (res) {
          if (res[0]) { bar.replaceChildren(el("span", "note", tt.thanks)); }
          else { note.textContent = tt.fbFail + (res[1].error || ""); }
        })
        .catch(function (e) { note.textContent = tt.fbFail + e; });
    }
    up.addEventListener("click", function () { post("up"); });
    down.addEventListener("click", function () { fix.hidden = false; send.hidden = false; fix.focus(); });
    send.addEventListener("click", function () { post("down"); });
    bar.append(up, down, fix, send, note);
    return bar;
  }

  // ---- the taxonomy panel: 3 › 9 › 45, searchable, linkable as #I13 ----
  let classes = {};   // code → class with details (GET /api/categories?detail=1)
  let order = [];     // codes in document order
  let shown = "";     // the class shown in the panel

  function loadClasses() {
    fetch("/api/categories?detail=1")
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (list) {
        classes = {};
        order = [];
        for (const c of list) { if (c && c.code) { classes[c.code] = c; order.push(c.code); } }
        renderTree();
        fromHash();
      })
      .catch(function () { taxTree.replaceChildren(el("p", "note", t().loadFail)); });
  }

  function haystack(c) {
    const parts = [c.code, c.name, c.name_en];
    if (c.definition) parts.push(c.definition.text);
    for (const p of (c.typical || [])) parts.push(p.title, p.text);
    for (const p of (c.excludes || [])) parts.push(p.text);
    return parts.join(" ").toLowerCase();
  }

  function matches(code, q) { return !q || haystack(classes[code]).indexOf(q) >= 0; }

  function renderTree() {
    const q = taxSearch.value.trim().toLowerCase();
    const tt = t();
    const frag = document.createDocumentFragment();
    let any = false;
    for (const code of order) {
      const c = classes[code];
      if (c.level !== "major") continue;
      const middles = order.filter(function (m) { return classes[m].parent === code; });
      const majorHit = matches(code, q);
      const groups = [];
      for (const m of middles) {
        const subs = order.filter(function (s) { return classes[s].parent === m; });
        const middleHit = majorHit || matches(m, q);
        const hits = subs.filter(function (s) { return middleHit || matches(s, q); });
        if (hits.length || middleHit) groups.push([m, hits]);
      }
      if (!groups.length && !majorHit) continue;
      any = true;
      const sec = el("section", "tax-major");
      sec.append(treeLink("h3", code, tt));
      for (const g of groups) {
        const mid = el("div", "tax-middle");
        mid.append(treeLink("h4", g[0], tt));
        const ul = el("ul", "tax-subs");
        for (const s of g[1]) { const li = el("li", ""); li.append(treeLink("span", s, tt)); ul.append(li); }
        mid.append(ul);
        sec.append(mid);
      }
      frag.append(sec);
    }
    if (!any && order.length) frag.append(el("p", "note", tt.noMatch));
    taxTree.replaceChildren(frag);
  }

  function treeLink(tag, code, tt) {
    const h = el(tag, "tax-item");
    const a = el("a", "tax-link", code);
    a.href = "#" + code;
    a.dataset.code = code;
    if (code === shown) a.setAttribute("aria-current", "true");
    a.append(el("span", "tax-name", " " + className(code, uiLang)));
    h.append(a);
    return h;
  }

  taxSearch.addEventListener("input", function () {
    if (taxSearch.value.trim()) taxDetail.hidden = true; // the results, not the card, are what the reader wants now
    renderTree();
  });

  function showClass(code) {
    const c = classes[code];
    if (!c) return;
    shown = code;
    const tt = t();
    const art = el("div", "tax-card");
    const h = el("h3", "code");
    h.append(el("span", "c", c.code), el("span", "name", uiLang === "en" && c.name_en ? c.name_en : c.name));
    art.append(h);
    art.append(el("div", "tax-meta", (tt.level[c.level] || c.level) + " · " + tt.nameEN + colon(uiLang) + (uiLang === "en" ? c.name : c.name_en)));
    if (c.path && c.path.length > 1) art.append(pathLine(c.path.map(function (p) { return p.code; }), uiLang, tt.path));
    if (c.definition) {
      art.append(el("h4", "", tt.definition));
      art.append(quoteOf(c.definition));
    }
    if (c.typical && c.typical.length) {
      art.append(el("h4", "", tt.typical));
      const ol = el("ol", "typical");
      for (const p of c.typical) {
        const li = el("li", "");
        if (p.title) li.append(el("div", "title", p.title));
        li.append(quoteOf(p));
        ol.append(li);
      }
      art.append(ol);
    }
    if (c.excludes && c.excludes.length) {
      art.append(el("h4", "", tt.excludes));
      const ul = el("ul", "excludes");
      for (const p of c.excludes) {
        const li = el("li", "");
        li.append(quoteOf(p));
        if (p.targets && p.targets.length) {
          const to = el("div", "targets", tt.sendTo + colon(uiLang));
          p.targets.forEach(function (code) { const a = el("a", "", code + " " + className(code, uiLang)); a.href = "#" + code; to.append(a, el("span", "", " ")); });
          li.append(to);
        }
        ul.append(li);
      }
      art.append(ul);
    }
    if (c.children && c.children.length) {
      art.append(el("h4", "", tt.children));
      const ul = el("ul", "children");
      for (const k of c.children) { const li = el("li", ""); li.append(treeLink("span", k, tt)); ul.append(li); }
      art.append(ul);
    }
    taxDetail.replaceChildren(art);
    taxDetail.hidden = false;
    for (const a of taxTree.querySelectorAll("a[aria-current]")) a.removeAttribute("aria-current");
    for (const a of taxTree.querySelectorAll("a.tax-link")) if (a.dataset.code === code) a.setAttribute("aria-current", "true");
  }

  function quoteOf(p) {
    const q = el("blockquote", "quote", p.text || "");
    if (p.ref) q.append(el("span", "ref", p.ref));
    return q;
  }

  function openPanel(open) {
    document.body.classList.toggle("tax-open", open);
    $("tax-toggle").setAttribute("aria-expanded", open ? "true" : "false");
  }
  $("tax-toggle").addEventListener("click", function () { openPanel(!document.body.classList.contains("tax-open")); });
  $("tax-close").addEventListener("click", function () { openPanel(false); });

  function fromHash() {
    const code = decodeURIComponent(location.hash.slice(1)).trim().toUpperCase();
    if (code && classes[code]) {
      showClass(code);
      openPanel(true);
      taxDetail.scrollIntoView({ block: "start" });
    } else if (!code) {
      openPanel(false);
    }
  }
  window.addEventListener("hashchange", fromHash);

  sendBtn.disabled = true;
  log.append(welcome());
  applyLang();
  loadClasses();
  connect();
})();
