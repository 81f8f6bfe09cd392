// The questionnaire's script: asks the service which questions still matter, one at a
// time, keeps the answers in localStorage until they are submitted, and shows the
// decision so far after each answer. No framework, no build step, nothing from elsewhere.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("config").textContent);
  const w = config.words;
  const params = new URLSearchParams(window.location.search);
  const asOf = params.get("as_of") || "";
  const storeKey = "kspolicy-questionnaire:" + config.policy.name;
  const $ = (id) => document.getElementById(id);

  // ---- what is kept in the browser ----------------------------------------------------
  function load() {
    try {
      const kept = JSON.parse(window.localStorage.getItem(storeKey) || "null");
      if (kept && typeof kept === "object" && kept.case && typeof kept.case === "object") {
        return { case: kept.case, skipped: kept.skipped || [], answers: kept.answers || [] };
      }
    } catch (e) {
      // a broken entry is started afresh
    }
    return { case: {}, skipped: [], answers: [] };
  }
  let state = load();
  function save() {
    window.localStorage.setItem(storeKey, JSON.stringify(state));
  }

  // ---- fact paths: partners[0].country ------------------------------------------------
  function parts(fact) {
    return fact.split(".").map((part) => {
      const m = /^([^[\]]+)(?:\[(\d+)\])?$/.exec(part);
      return [m[1], m[2] === undefined ? null : Number(m[2])];
    });
  }
  function setFact(data, fact, value) {
    const steps = parts(fact);
    let target = data;
    steps.slice(0, -1).forEach(([name, index]) => {
      if (target[name] === undefined || target[name] === null) target[name] = index === null ? {} : [];
      target = target[name];
      if (index !== null) {
        while (target.length <= index) target.push({});
        target = target[index];
      }
    });
    const [name, index] = steps[steps.length - 1];
    if (index === null) target[name] = value;
    else {
      if (!Array.isArray(target[name])) target[name] = [];
      while (target[name].length <= index) target[name].push(null);
      target[name][index] = value;
    }
  }
  function unsetFact(data, fact) {
    const steps = parts(fact);
    let target = data;
    for (const [name, index] of steps.slice(0, -1)) {
      target = target ? target[name] : undefined;
      if (target && index !== null) target = target[index];
      if (!target) return;
    }
    const [name, index] = steps[steps.length - 1];
    if (index === null) delete target[name];
    else if (Array.isArray(target[name])) target[name][index] = null;
  }

  // ---- talking to the service ---------------------------------------------------------
  function url(path, extra) {
    const q = new URLSearchParams({ lang: config.lang });
    if (asOf) q.set("as_of", asOf);
    (extra || []).forEach(([k, v]) => q.append(k, v));
    return path + "?" + q.toString();
  }
  async function call(path, extra, accept) {
    const response = await fetch(url(path, extra), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: accept || "application/json" },
      body: JSON.stringify(state.case),
    });
    if (!response.ok) {
      let problem = null;
      try {
        problem = await response.json();
      } catch (e) {
        problem = null;
      }
      const error = new Error((problem && problem.detail) || response.statusText);
      error.problem = problem;
      throw error;
    }
    return accept && accept !== "application/json" ? response.text() : response.json();
  }
  function showAlert(message, problem) {
    const box = $("alert");
    box.textContent = "";
    const p = document.createElement("p");
    p.textContent = message;
    box.appendChild(p);
    if (problem && Array.isArray(problem.errors)) {
      const list = document.createElement("ul");
      problem.errors.forEach((err) => {
        const li = document.createElement("li");
        li.textContent = (err.path ? err.path + ": " : "") + err.message;
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    box.hidden = false;
  }
  function clearAlert() {
    $("alert").hidden = true;
    $("alert").textContent = "";
  }

  // ---- the question form --------------------------------------------------------------
  let current = null;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function choiceLabel(choice) {
    return choice.label && choice.label !== choice.code ? choice.label + " (" + choice.code + ")" : choice.code;
  }
  function radio(name, value, text, index) {
    const id = "answer-" + index;
    const wrap = el("div", { class: "choice" });
    const input = el("input", { type: "radio", name: name, id: id, value: value });
    wrap.appendChild(input);
    wrap.appendChild(el("label", { for: id }, text));
    return wrap;
  }

  function renderQuestion(question) {
    const form = $("ask");
    form.textContent = "";
    current = question;
    if (!question) return;
    const fieldset = el("fieldset");
    const legend = el("legend", { id: "question-text" }, question.text);
    fieldset.appendChild(legend);
    const hint = el("p", { class: "hint", id: "question-hint" }, question.hint);
    fieldset.appendChild(hint);
    fieldset.setAttribute("aria-describedby", "question-hint");
    fieldset.dataset.fact = question.fact;
    fieldset.dataset.kind = question.kind;
    const kind = question.kind;
    if (kind === "bool") {
      fieldset.appendChild(radio("answer", "true", w.yes, 0));
      fieldset.appendChild(radio("answer", "false", w.no, 1));
    } else if (kind === "code" && question.choices.length <= 8) {
      question.choices.forEach((c, i) => fieldset.appendChild(radio("answer", c.code, choiceLabel(c), i)));
    } else if (kind === "code") {
      const label = el("label", { for: "answer", class: "visually-hidden" }, question.text);
      const select = el("select", { id: "answer", name: "answer" });
      select.appendChild(el("option", { value: "" }, w.choose));
      question.choices.forEach((c) => select.appendChild(el("option", { value: c.code }, choiceLabel(c))));
      fieldset.appendChild(label);
      fieldset.appendChild(select);
    } else if (kind === "codes" && question.choices.length) {
      const box = el("div", { class: "choices" + (question.choices.length > 12 ? " long" : "") });
      question.choices.forEach((c, i) => {
        const id = "answer-" + i;
        const wrap = el("div", { class: "choice" });
        wrap.appendChild(el("input", { type: "checkbox", name: "answer", id: id, value: c.code }));
        wrap.appendChild(el("label", { for: id }, choiceLabel(c)));
        box.appendChild(wrap);
      });
      fieldset.appendChild(box);
    } else {
      const attrs = { id: "answer", name: "answer" };
      if (kind === "int" || kind === "records") {
        attrs.type = "number";
        attrs.inputmode = "numeric";
        attrs.step = "1";
        attrs.min = question.range.length ? question.range[0] : "0";
        if (question.range.length) attrs.max = question.range[1];
      } else if (kind === "number") {
        attrs.type = "number";
        attrs.step = "any";
      } else if (kind === "date") {
        attrs.type = "date";
      } else {
        attrs.type = "text";
        attrs.autocomplete = "off";
      }
      const text = kind === "records" ? w.how_many : question.text;
      fieldset.appendChild(el("label", { for: "answer", class: kind === "records" ? "" : "visually-hidden" }, text));
      fieldset.appendChild(el("input", attrs));
    }
    form.appendChild(fieldset);
    const buttons = el("div", { class: "actions" });
    buttons.appendChild(el("button", { type: "submit", id: "next" }, w.next));
    const skip = el("button", { type: "button", id: "skip", class: "secondary" }, w.skip);
    skip.addEventListener("click", () => {
      state.skipped.push(question.fact);
      save();
      refresh(true);
    });
    buttons.appendChild(skip);
    form.appendChild(buttons);
  }

  function readAnswer() {
    const form = $("ask");
    const kind = current.kind;
    if (kind === "bool" || (kind === "code" && current.choices.length <= 8)) {
      const picked = form.querySelector('input[name="answer"]:checked');
      if (!picked) return undefined;
      return [kind === "bool" ? picked.value === "true" : picked.value, picked.nextSibling.textContent];
    }
    if (kind === "codes" && current.choices.length) {
      const picked = Array.from(form.querySelectorAll('input[name="answer"]:checked'));
      return [picked.map((p) => p.value), picked.map((p) => p.nextSibling.textContent).join(", ") || "—"];
    }
    const input = $("answer");
    const raw = input.value.trim();
    if (raw === "") return undefined;
    if (kind === "code") return [raw, input.options[input.selectedIndex].textContent];
    if (kind === "int" || kind === "records") {
      if (!/^-?\d+$/.test(raw)) return null;
      return [Number(raw), raw];
    }
    if (kind === "number") {
      const n = Number(raw.replace(",", "."));
      return Number.isFinite(n) ? [n, raw] : null;
    }
    if (kind === "codes") {
      const list = raw.split(/[,;]/).map((s) => s.trim()).filter((s) => s);
      return [list, list.join(", ")];
    }
    return [raw, raw];
  }

  async function answer(event) {
    event.preventDefault();
    if (!current) return;
    const read = readAnswer();
    if (read === undefined) {
      showAlert(current.hint);
      return;
    }
    if (read === null) {
      showAlert(w.error + ": " + current.hint);
      return;
    }
    const [value, shown] = read;
    const asked = current; // refresh() shows the next question
    const before = JSON.stringify(state.case);
    if (asked.kind === "records") {
      setFact(state.case, asked.fact, Array.from({ length: value }, () => ({})));
    } else {
      setFact(state.case, asked.fact, value);
    }
    try {
      await refresh(true);
    } catch (error) {
      state.case = JSON.parse(before);
      showAlert(w.error + ": " + error.message, error.problem);
      return;
    }
    state.answers = state.answers.filter((a) => a.fact !== asked.fact);
    state.answers.push({ fact: asked.fact, text: asked.text, shown: shown, kind: asked.kind });
    save();
    renderAnswers();
  }

  // ---- the decision so far and the answers given --------------------------------------
  function renderSummary(summary) {
    const box = $("summary");
    box.textContent = "";
    if (summary.headline) box.appendChild(el("p", { class: "headline", id: "headline" }, summary.headline));
    const list = el("dl", { class: "outcomes" });
    summary.outcomes.forEach((o) => {
      list.appendChild(el("dt", {}, o.title));
      const text = o.labels.length ? o.labels.join(", ") : "—";
      const dd = el("dd", { "data-outcome": o.outcome, "data-codes": o.codes.join(" ") }, text);
      if (o.could_add.length) dd.appendChild(el("span", { class: "muted" }, " (" + w.could_add + ": " + o.could_add.join(", ") + ")"));
      list.appendChild(dd);
    });
    box.appendChild(list);
    box.appendChild(el("p", { class: "muted" }, summary.open_questions + " " + w.open));
  }
  function renderAnswers() {
    const list = $("answers");
    list.textContent = "";
    $("no-answers").hidden = state.answers.length > 0;
    state.answers.forEach((a) => {
      list.appendChild(el("dt", {}, a.text));
      const dd = el("dd", {}, a.shown + " ");
      const change = el("button", { type: "button", class: "link", "aria-label": w.change + ": " + a.text }, w.change);
      change.addEventListener("click", () => {
        unsetFact(state.case, a.fact);
        state.answers = state.answers.filter((b) => b.fact !== a.fact && !b.fact.startsWith(a.fact + "["));
        state.skipped = state.skipped.filter((f) => f !== a.fact);
        save();
        renderAnswers();
        refresh(true);
      });
      dd.appendChild(change);
      list.appendChild(dd);
    });
  }

  async function refresh(focus) {
    const extra = state.skipped.map((fact) => ["skip", fact]);
    const body = await call("/v1/questions", extra);
    clearAlert();
    renderSummary(body.summary);
    const next = body.questions[0] || null;
    renderQuestion(next);
    $("done").hidden = next !== null;
    $("finish").hidden = next !== null;
    $("finish-early").hidden = next === null;
    if (focus) {
      const target = next ? $("ask").querySelector("input, select") : $("finish");
      if (target) target.focus();
    }
    return body;
  }

  // ---- the end: submit, explain, print ------------------------------------------------
  async function finish() {
    clearAlert();
    try {
      const decision = await call("/v1/decisions");
      const html = await call("/v1/explanations", [], "text/html");
      const parsed = new DOMParser().parseFromString(html, "text/html");
      const target = $("explanation");
      target.textContent = "";
      Array.from(parsed.body.childNodes).forEach((node) => target.appendChild(document.importNode(node, true)));
      $("decision-id").textContent = w.decision_id + ": " + decision.id;
      $("decision-id").dataset.verdict = JSON.stringify(decision.outcomes);
      window.localStorage.removeItem(storeKey);
      $("asking").hidden = true;
      $("so-far").hidden = true;
      $("answered").hidden = true;
      $("result").hidden = false;
      document.body.classList.add("finished");
      $("result-title").focus();
    } catch (error) {
      showAlert(error.problem ? w.error + ": " + error.message : w.offline, error.problem);
    }
  }

  function start() {
    $("lang-go").hidden = true;
    $("lang").addEventListener("change", () => $("language").submit());
    $("ask").addEventListener("submit", answer);
    $("finish").addEventListener("click", finish);
    $("finish-early").addEventListener("click", finish);
    $("print").addEventListener("click", () => window.print());
    $("restart").addEventListener("click", () => {
      state = { case: {}, skipped: [], answers: [] };
      save();
      window.location.reload();
    });
    renderAnswers();
    refresh(false).catch((error) => showAlert(error.problem ? error.message : w.offline, error.problem));
  }
  start();
})();
