// tokenvault demo checkout: validates the card as it is typed, then encrypts it in this browser
// for the vault (JWE compact serialization, alg ECDH-ES + enc A256GCM, RFC 7516 / RFC 7518 §4.6)
// with WebCrypto, and posts only the JWE. No library, no network access but this origin.
'use strict';
(() => {
  // ---- card rules (the same as the vault's dev.tokenvault.core.value.CardScheme) ----
  const SCHEMES = {
    visa: { label: 'Visa', lengths: [13, 16, 19], cvv: [3] },
    mastercard: { label: 'Mastercard', lengths: [16], cvv: [3] },
    amex: { label: 'American Express', lengths: [15], cvv: [4] },
    discover: { label: 'Discover', lengths: range(16, 19), cvv: [3] },
    jcb: { label: 'JCB', lengths: range(16, 19), cvv: [3] },
    unionpay: { label: 'UnionPay', lengths: range(16, 19), cvv: [3] },
    diners: { label: 'Diners Club', lengths: range(14, 19), cvv: [3] },
    maestro: { label: 'Maestro', lengths: range(12, 19), cvv: [3] },
    unknown: { label: 'unknown', lengths: range(12, 19), cvv: [3, 4] },
  };

  function range(a, b) {
    const out = [];
    for (let i = a; i <= b; i++) out.push(i);
    return out;
  }

  function prefix(d, n) {
    return d.length < n ? -1 : Number(d.slice(0, n));
  }

  function schemeOf(d) {
    const p1 = prefix(d, 1), p2 = prefix(d, 2), p3 = prefix(d, 3), p4 = prefix(d, 4), p6 = prefix(d, 6);
    if (p2 === 34 || p2 === 37) return 'amex';
    if ((p3 >= 300 && p3 <= 305) || p4 === 3095 || p2 === 36 || p2 === 38 || p2 === 39) return 'diners';
    if (p4 >= 3528 && p4 <= 3589) return 'jcb';
    if (p1 === 4) return 'visa';
    if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return 'mastercard';
    if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || (p6 >= 622126 && p6 <= 622925)) return 'discover';
    if (p2 === 62 || p2 === 81) return 'unionpay';
    if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return 'maestro';
    return 'unknown';
  }

  function luhn(d) {
    let sum = 0;
    let dbl = false;
    for (let i = d.length - 1; i >= 0; i--) {
      let n = d.charCodeAt(i) - 48;
      if (dbl) { n *= 2; if (n > 9) n -= 9; }
      sum += n;
      dbl = !dbl;
    }
    return sum % 10 === 0;
  }

  const digitsOf = (s) => s.replace(/[\s-]/g, '');

  // Each check returns '' when valid, else a message. Messages never repeat what was typed.
  function checkNumber(raw) {
    const d = digitsOf(raw);
    if (d === '') return 'Enter the card number.';
    if (!/^\d+$/.test(d)) return 'The card number can only contain digits.';
    if (d.length < 12 || d.length > 19) return 'A card number has 12 to 19 digits.';
    if (!luhn(d)) return 'This card number is not valid: check for a typing mistake.';
    const s = SCHEMES[schemeOf(d)];
    if (!s.lengths.includes(d.length)) {
      return 'A ' + s.label + ' card number has ' + s.lengths.join(' or ') + ' digits.';
    }
    return '';
  }

  function parseExpiry(raw) {
    const m = /^(\d{2})\s*\/\s*(\d{2})$/.exec(raw.trim());
    if (!m) return null;
    const month = Number(m[1]);
    if (month < 1 || month > 12) return null;
    return { month, year: 2000 + Number(m[2]) };
  }

  function checkExpiry(raw) {
    if (raw.trim() === '') return 'Enter the expiry date.';
    const e = parseExpiry(raw);
    if (!e) return 'Enter the expiry date as MM/YY, e.g. 08/29.';
    const now = new Date();
    const cur = now.getUTCFullYear() * 12 + now.getUTCMonth();
    const exp = e.year * 12 + (e.month - 1);
    if (exp < cur) return 'This card has expired.';
    if (exp > cur + 20 * 12) return 'The expiry date is too far in the future.';
    return '';
  }

  function checkCvv(raw, numberRaw) {
    if (raw === '') return 'Enter the security code.';
    if (!/^\d+$/.test(raw)) return 'The security code can only contain digits.';
    const d = digitsOf(numberRaw);
    const s = SCHEMES[/^\d{1,19}$/.test(d) ? schemeOf(d) : 'unknown'];
    if (!s.cvv.includes(raw.length)) {
      return s.cvv.length === 1
          ? 'The security code of a ' + (s === SCHEMES.unknown ? '' : s.label + ' ') + 'card has ' + s.cvv[0] + ' digits.'
          : 'The security code has 3 or 4 digits.';
    }
    return '';
  }

  function checkName(raw) {
    const n = raw.trim();
    if (n === '') return 'Enter the name on the card.';
    if (n.length > 100) return 'The name can have at most 100 characters.';
    if (!/^[\p{L}\p{Mn} '.,-]+$/u.test(n)) return 'The name can only contain letters, spaces and \' - . ,';
    return '';
  }

  // ---- the form ----
  const $ = (id) => document.getElementById(id);
  const form = $('checkout');
  const fields = {
    name: { input: $('cc-name'), error: $('cc-name-error'), check: (v) => checkName(v) },
    number: { input: $('cc-number'), error: $('cc-number-error'), check: (v) => checkNumber(v) },
    expiry: { input: $('cc-exp'), error: $('cc-exp-error'), check: (v) => checkExpiry(v) },
    cvv: { input: $('cc-csc'), error: $('cc-csc-error'), check: (v) => checkCvv(v, fields.number.input.value) },
  };
  const touched = new Set();

  function show(key, message) {
    const f = fields[key];
    f.error.textContent = message;
    f.input.setAttribute('aria-invalid', message ? 'true' : 'false');
  }

  function validate(key) {
    const message = fields[key].check(fields[key].input.value);
    show(key, message);
    return message === '';
  }

  function updateScheme() {
    const d = digitsOf(fields.number.input.value);
    $('cc-scheme').textContent = /^\d{1,19}$/.test(d) ? SCHEMES[schemeOf(d)].label : '—';
  }

  for (const [key, f] of Object.entries(fields)) {
    f.input.addEventListener('blur', () => { touched.add(key); validate(key); });
    f.input.addEventListener('input', () => {
      if (key === 'number') updateScheme();
      if (key === 'expiry') autoSlash(f.input);
      if (touched.has(key)) validate(key);
      if (key === 'number' && touched.has('cvv')) validate('cvv');
    });
  }

  function autoSlash(input) {
    const v = input.value;
    if (/^\d{2}$/.test(v)) input.value = v + '/';
    else if (/^\d{3,4}$/.test(v)) input.value = v.slice(0, 2) + '/' + v.slice(2);
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('form-error').textContent = '';
    let firstInvalid = null;
    for (const key of Object.keys(fields)) {
      touched.add(key);
      if (!validate(key) && !firstInvalid) firstInvalid = fields[key].input;
    }
    if (firstInvalid) {
      firstInvalid.focus();
      return; // nothing is sent while the form is invalid
    }
    const button = $('pay');
    button.disabled = true;
    try {
      const session = await post('/checkout/session', null, null);
      if (!session.ok) throw new Error('The vault gave no capture session; try again later.');
      const s = await session.json();
      const payload = JSON.stringify({
        number: digitsOf(fields.number.input.value),
        expiry: fields.expiry.input.value.replace(/\s/g, ''),
        cvv: fields.cvv.input.value,
        name: fields.name.input.value.trim(),
        session: s.session,
      });
      const jwe = await encryptJwe(s.encryptionKey, new TextEncoder().encode(payload));
      const res = await post('/v1/capture', 'application/jose', jwe);
      const body = await res.json();
      if (!res.ok) {
        serverProblem(body);
        return;
      }
      fields.number.input.value = '';
      fields.cvv.input.value = '';
      updateScheme();
      $('result-token').textContent = body.token;
      $('result-card').textContent = SCHEMES[body.scheme] ? SCHEMES[body.scheme].label + ' •••• ' + body.last4 : '•••• ' + body.last4;
      $('result-expiry').textContent = body.expiry;
      $('result').hidden = false;
      $('result').focus();
    } catch (e) {
      $('form-error').textContent = e instanceof Error && e.message.startsWith('The vault') ? e.message
          : 'The card could not be saved; try again.';
    } finally {
      button.disabled = false;
    }
  });

  function post(path, type, body) {
    const headers = type ? { 'Content-Type': type } : {};
    return fetch(path, { method: 'POST', headers, body, credentials: 'omit', cache: 'no-store' });
  }

  const SERVER_FIELDS = { number: 'number', expiry: 'expiry', cvv: 'cvv', name: 'name' };
  function serverProblem(p) {
    if (p && Array.isArray(p.errors)) {
      for (const e of p.errors) {
        if (SERVER_FIELDS[e.field]) show(SERVER_FIELDS[e.field], e.detail || 'This field is invalid.');
      }
    }
    $('form-error').textContent = 'The vault refused the card (' + (p && p.code ? p.code : 'error') + ').';
  }

  // ---- JWE: ECDH-ES (direct key agreement) + A256GCM, RFC 7518 §4.6 and §5.3 ----
  const enc = new TextEncoder();

  function b64u(bytes) {
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function u32(n) {
    return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let i = 0;
    for (const p of parts) { out.set(p, i); i += p.length; }
    return out;
  }

  async function encryptJwe(jwk, plaintext) {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || jwk.alg !== 'ECDH-ES' || !jwk.kid) {
      throw new Error('The vault gave an unexpected encryption key.');
    }
    const recipient = await crypto.subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, ext: true },
        { name: 'ECDH', namedCurve: 'P-256' }, false, []);
    const eph = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
    const z = new Uint8Array(await crypto.subtle.deriveBits({ name: 'ECDH', public: recipient }, eph.privateKey, 256));
    const epk = await crypto.subtle.exportKey('jwk', eph.publicKey);
    const header = { alg: 'ECDH-ES', enc: 'A256GCM', kid: jwk.kid, epk: { kty: 'EC', crv: 'P-256', x: epk.x, y: epk.y } };
    // Concat KDF (NIST SP 800-56A §5.8.1, single round with SHA-256): AlgorithmID = enc,
    // PartyUInfo and PartyVInfo empty, SuppPubInfo = key length in bits.
    const algId = enc.encode('A256GCM');
    const otherInfo = concat(u32(algId.length), algId, u32(0), u32(0), u32(256));
    const kdfInput = concat(u32(1), z, otherInfo);
    const cekBytes = new Uint8Array(await crypto.subtle.digest('SHA-256', kdfInput));
    z.fill(0);
    kdfInput.fill(0);
    const cek = await crypto.subtle.importKey('raw', cekBytes, { name: 'AES-GCM' }, false, ['encrypt']);
    cekBytes.fill(0);
    const protectedHeader = b64u(enc.encode(JSON.stringify(header)));
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = new Uint8Array(await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: enc.encode(protectedHeader), tagLength: 128 }, cek, plaintext));
    plaintext.fill(0);
    const ciphertext = sealed.subarray(0, sealed.length - 16);
    const tag = sealed.subarray(sealed.length - 16);
    return protectedHeader + '..' + b64u(iv) + '.' + b64u(ciphertext) + '.' + b64u(tag);
  }
})();
