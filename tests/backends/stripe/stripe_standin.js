/*
 * TEST-ONLY stand-in for Stripe.js v3's Payment Element. Never serve it outside tests:
 * it talks to localstripe (served by tests/backends/stripe/localstripe_server.py at
 * /js.stripe.com/standin/v3/) and takes card numbers in plain inputs.
 *
 * localstripe's own fake Stripe.js has no Payment Element and no confirmPayment, and a
 * publishable key cannot confirm a PaymentIntent there; this file fills that gap with a
 * client-side confirm endpoint the launcher adds. It implements just what a
 * PaymentIntents + Payment Element page uses:
 *   const stripe = Stripe(pk);
 *   const elements = stripe.elements({clientSecret});
 *   elements.create('payment').mount('#el');
 *   const {error} = await stripe.confirmPayment({elements, confirmParams: {return_url}});
 * Card fields are plain <input name=...> so browser tests can fill them.
 */
(function () {
  const BASE = document.currentScript.src.replace(/\/js\.stripe\.com\/standin\/v3\/?$/, '');

  async function post(path, body) {
    // No custom headers: a text/plain body keeps this a CORS "simple request".
    const r = await fetch(BASE + path, {method: 'POST', body: JSON.stringify(body)});
    const json = await r.json().catch(() => ({}));
    return {ok: r.ok && !json.error, json};
  }

  class PaymentElement {
    mount(target) {
      const root = typeof target === 'string' ? document.querySelector(target) : target;
      root.innerHTML = '';
      for (const [name, placeholder] of [['number', 'Card number'], ['exp_month', 'MM'],
                                         ['exp_year', 'YY'], ['cvc', 'CVC']]) {
        const input = document.createElement('input');
        input.name = 'standin-' + name;
        input.placeholder = placeholder;
        input.autocomplete = 'off';
        root.appendChild(input);
      }
      this._root = root;
    }
    on() {}
    unmount() { if (this._root) this._root.innerHTML = ''; }
    destroy() { this.unmount(); }
    _card() {
      const v = n => this._root.querySelector(`[name=standin-${n}]`).value.trim();
      return {number: v('number').replace(/\s+/g, ''), exp_month: v('exp_month'),
              exp_year: v('exp_year'), cvc: v('cvc')};
    }
  }

  // Options (e.g. {stripeAccount}) are accepted and ignored: localstripe has no accounts.
  window.Stripe = function Stripe(publishableKey, options) {
    if (!/^pk_/.test(publishableKey || '')) {
      throw new Error('Invalid publishable key: ' + publishableKey);
    }
    return {
      elements(options) {
        const clientSecret = (options || {}).clientSecret;
        return {
          _clientSecret: clientSecret,
          _element: null,
          create(type) {
            if (type !== 'payment') throw new Error('stand-in supports only "payment"');
            return (this._element = new PaymentElement());
          },
          getElement() { return this._element; },
          submit: async () => ({}),
        };
      },
      async confirmPayment({elements, clientSecret, confirmParams, redirect}) {
        const secret = clientSecret || elements._clientSecret;
        const pi = secret.split('_secret_')[0];
        let res = await post(`/_config/standin/payment_intents/${pi}/confirm`, {
          key: publishableKey, client_secret: secret, card: elements._element._card()});
        if (res.ok && res.json.status === 'requires_action') {
          // 3-D Secure card: complete the challenge the way localstripe's own
          // Stripe.js mock does after its modal.
          res = await post(`/v1/payment_intents/${pi}/_authenticate?success=true`,
                           {key: publishableKey, client_secret: secret});
        }
        if (!res.ok) {
          const e = res.json.error || {};
          return {error: {type: e.code ? 'card_error' : 'invalid_request_error',
                          code: e.code, message: e.message, payment_intent: {id: pi}}};
        }
        const intent = res.json;
        if (redirect === 'if_required') return {paymentIntent: intent};
        const url = new URL(confirmParams.return_url, window.location.href);
        url.searchParams.set('payment_intent', intent.id);
        url.searchParams.set('payment_intent_client_secret', secret);
        const redirectStatus = {succeeded: 'succeeded', processing: 'processing'}[intent.status];
        url.searchParams.set('redirect_status', redirectStatus || 'failed');
        window.location.assign(url.toString());
        return new Promise(() => {});  // like Stripe.js: never resolves once redirecting
      },
    };
  };
})();
