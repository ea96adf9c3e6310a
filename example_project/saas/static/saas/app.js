// Riverside Cloud's sign-up as a single page on carepay's JSON API: plain JavaScript,
// no framework, no build, nothing from a CDN. Four pieces, as in the SaaS seed:
// billing details, method selector by country, confirmation form (with a proof, sent
// as multipart), and the pending-payment banner.
"use strict";

(function () {
  const root = document.getElementById("app");
  const billingApi = root.dataset.api.replace(/methods\/$/, "");  // …/api/billing/
  const accountsApi = root.dataset.saasApi;
  const csrf = root.dataset.csrf;
  const $ = (id) => document.getElementById(id);
  // Text in the page's language: gettext() and interpolate() come from Django's
  // JavaScript catalogue (the "javascript-catalog" URL, loaded before this file);
  // amounts and numbers are formatted for the same language.
  const lang = document.documentElement.lang || "en";
  const t = (translated, values) => interpolate(translated, values, true);
  // As many decimals as the API writes (the currency's own: "27500.00" PKR), not the
  // browser's display digits for the currency (which would show "PKR 27,500").
  const money = (amount, currency) => {
    const places = (String(amount).split(".")[1] || "").length;
    return new Intl.NumberFormat(lang, { style: "currency", currency, minimumFractionDigits: places,
                                         maximumFractionDigits: places }).format(Number(amount));
  };
  const number = (n) => Number(n).toLocaleString(lang);
  // The amount field speaks the page's language ("27500,00" in German) and the API its
  // own ("27500.00"). A typed amount is read as carepay's own forms read it
  // (django_carepay.money.parse_localized_amount), with Django's separators for the
  // page's language (get_format, from the same JavaScript catalogue): thousands
  // separators must group by three, and what reads two ways ("27.500" in German or
  // French, "27,500" in English) is refused here, never guessed. The API checks the rest.
  const decimalMark = get_format("DECIMAL_SEPARATOR").normalize("NFKC");
  const thousandsMark = get_format("THOUSAND_SEPARATOR").normalize("NFKC");
  const typedAmount = (amount) => String(amount).replace(".", decimalMark);
  function readAmount(typed) {
    const example = `1234${decimalMark}50`;
    const twoWays = { error: t(gettext("%(typed)s could mean two different amounts; write it without a thousands separator, like %(example)s."), { typed, example }) };
    const notANumber = { error: t(gettext("%(typed)s is not a number; write it like %(example)s."), { typed, example }) };
    const text = typed.normalize("NFKC").trim();
    const sign = text.startsWith("+") || text.startsWith("-") ? text[0] : "";
    const body = text.slice(sign.length);
    let whole = body;
    let fraction = null;
    if (decimalMark && body.includes(decimalMark)) {
      const at = body.indexOf(decimalMark);
      [whole, fraction] = [body.slice(0, at), body.slice(at + decimalMark.length)];
    }
    if (decimalMark !== "." && fraction === null && /^\p{Nd}{1,3}\.\p{Nd}{3}$/u.test(whole)) return twoWays;
    if (fraction !== null && (fraction.includes(decimalMark) || (thousandsMark && fraction.includes(thousandsMark)))) return notANumber;
    if (thousandsMark && whole.includes(thousandsMark)) {
      const groups = whole.split(thousandsMark);
      const grouped = groups[0].length >= 1 && groups[0].length <= 3 && groups.slice(1).every((g) => g.length === 3);
      if (!grouped) {
        // "95.00" where the point groups thousands: the point as the API writes it.
        if (thousandsMark === "." && fraction === null && groups.length === 2) return { amount: sign + whole };
        return notANumber;
      }
      if (fraction === null && groups.length === 2 && (thousandsMark === "." || thousandsMark === ",")) return twoWays;
      whole = groups.join("");
    }
    return { amount: sign + whole + (fraction === null ? "" : `.${fraction}`) };
  }
  let invoice = null;
  let method = null;

  // One fetch for every call: JSON (or a FormData), the CSRF token for the session,
  // an Idempotency-Key on POSTs so a double click or a retry submits once.
  async function call(url, { method: verb = "GET", body, key } = {}) {
    const headers = { Accept: "application/json" };
    if (verb !== "GET") {
      headers["X-CSRFToken"] = csrf;
      headers["Idempotency-Key"] = key || crypto.randomUUID();
      if (!(body instanceof FormData)) {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify(body || {});
      }
    }
    const response = await fetch(url, { method: verb, headers, body, credentials: "same-origin" });
    const data = await response.json();
    if (!response.ok) {
      throw Object.assign(new Error(data.message), { field: data.field, code: data.code });
    }
    return data;
  }

  // A refusal is shown where the payer is looking: under the input it is about (which
  // is marked invalid, described by it, and focused), else at the end of the step in
  // use; never below the whole page.
  function showError(error) {
    const box = $("error");
    document.querySelectorAll("[aria-invalid=true]").forEach((input) => {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    });
    box.hidden = !error;
    box.textContent = error ? error.message : "";
    if (!error) return;
    const input = error.field && $(error.field.replace("_", "-"));
    if (input) {
      input.parentElement.after(box);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "error");
      input.focus();
    } else {
      const steps = [...document.querySelectorAll("#app > section")].filter((s) => !s.hidden);
      (steps.length ? steps[steps.length - 1] : $("app")).append(box);
    }
  }

  // -- pending-payment banner ----------------------------------------------------------
  async function refreshBanner() {
    const accounts = await call(accountsApi);
    const lines = accounts.map((a) => {
      if (a.status === "active") {
        return { kind: "success", text: t(gettext("%(name)s is active with %(credits)s credits."), { name: a.name, credits: number(a.credits) }) };
      }
      const p = a.last_payment;
      if (p && p.status === "awaiting_approval") {
        return { kind: "info", text: t(gettext("%(name)s: your transfer of %(amount)s (reference %(reference)s) is awaiting approval."), { name: a.name, amount: money(p.amount, p.currency), reference: p.reference }) };
      }
      if (p && p.status === "failed") {
        return { kind: "warning", text: t(gettext("%(name)s: your transfer was not approved (%(reason)s). Please pay again."), { name: a.name, reason: p.reason }) };
      }
      return { kind: "warning", text: t(gettext("%(name)s starts as soon as its invoice is paid."), { name: a.name }) };
    });
    $("pending-banner").hidden = lines.length === 0;
    $("pending-banner").replaceChildren(...lines.map(({ kind, text }) => {
      const li = document.createElement("li");
      li.className = kind;
      li.textContent = text;
      return li;
    }));
  }

  // -- 1. billing details --------------------------------------------------------------
  async function loadPlans() {
    const plans = await call(root.dataset.plans);
    $("plan").replaceChildren(...plans.filter((p) => Number(p.monthly_price) > 0).map((p) => {
      const option = new Option(t(gettext("%(plan)s: %(price)s a month, %(credits)s credits"), { plan: p.name, price: money(p.monthly_price, p.currency), credits: number(p.credits) }), p.slug);
      return option;
    }));
  }

  $("billing-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(null);
    const form = new FormData(event.target);
    try {
      const account = await call(accountsApi, { method: "POST", body: Object.fromEntries(form) });
      invoice = await call(`${billingApi}invoices/${account.invoice}/`);
      // What moves the page comes first (the step closing, the banner's new line), so
      // the methods do not shift under the pointer as someone goes to click one.
      $("billing-step").hidden = true;
      await refreshBanner().catch(showError);
      await showMethods(form.get("country"));
    } catch (error) { showError(error); }
  });

  // -- 2. method selector by country ---------------------------------------------------
  async function showMethods(country) {
    const methods = await call(`${billingApi}methods/?invoice=${invoice.id}&country=${country}`);
    $("amount-due").textContent = t(gettext("Invoice %(number)s: %(amount)s to pay."), { number: invoice.number, amount: money(invoice.amount_payable, invoice.currency) });
    const choices = methods.map((m) => {
      const label = document.createElement("label");
      const radio = Object.assign(document.createElement("input"), { type: "radio", name: "method", value: m.method });
      radio.addEventListener("change", () => choose(m));
      const kind = m.kind === "online" ? pgettext("payment method kind", "online") : pgettext("payment method kind", "by transfer");
      label.append(radio, ` ${m.label} (${kind})`);
      return label;
    });
    $("methods").replaceChildren($("methods").querySelector("legend"), ...choices);
    $("method-step").hidden = false;
  }

  function choose(m) {
    method = m;
    // Instructions are the host's own template, rendered and escaped by carepay.
    $("instructions").innerHTML = m.instructions;
    const account = document.createElement("dl");
    for (const { label, value } of m.account) {
      account.append(Object.assign(document.createElement("dt"), { textContent: label }),
                     Object.assign(document.createElement("dd"), { textContent: value }));
    }
    $("instructions").append(account);
    $("confirm-step").hidden = m.kind !== "offline";
    $("reference").value = m.reference;
    $("amount").value = typedAmount(invoice.amount_payable);
    $("paid-on").value = new Date().toISOString().slice(0, 10);
    if (m.kind === "online") startOnline();
  }

  async function startOnline() {
    try {
      const start = await call(`${billingApi}invoices/${invoice.id}/payments/`, { method: "POST", body: { method: method.method } });
      if (start.redirect_url) window.location.assign(start.redirect_url);
    } catch (error) { showError(error); }
  }

  // -- 3. confirmation form (multipart, with the proof) ------------------------------------
  let confirmKey = crypto.randomUUID();  // one submission, however often it is clicked
  $("confirm-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(null);
    const form = new FormData(event.target);
    const read = readAmount(form.get("amount"));
    if (read.error) {
      showError({ field: "amount", message: read.error });
      return;
    }
    form.set("amount", read.amount);
    form.append("method", method.method);
    if (!form.get("proof") || !form.get("proof").size) form.delete("proof");
    try {
      await call(`${billingApi}invoices/${invoice.id}/transfers/`, { method: "POST", body: form, key: confirmKey });
      $("method-step").hidden = true;
      $("confirm-step").hidden = true;
      await refreshBanner();  // 4. the pending-payment banner
    } catch (error) {
      confirmKey = crypto.randomUUID();  // the refusal is stored for the old key
      showError(error);
    }
  });

  loadPlans().catch(showError);
  refreshBanner().catch(showError);
})();
