// The server's messages, the card's errors and the topics in the screen's
// language (i18n.js holds the UI's own words and re-exports these).
import { getLang } from './i18n.js';

// The server's messages are Italian, each with a stable code: on the English
// screen the code's English is shown (numbers, times and names taken from the
// Italian where the message carries them); a code not listed stays Italian.
const pick = (re, text, fallback = '') => ((text || '').match(re) || [])[1] || fallback;
const serverEn = {
  network: () => 'The service is not available right now. Please try again shortly.',
  timeout: () => 'The service did not answer in time. Please try again shortly.',
  internal: () => 'Something went wrong on the kiosk. Please try again shortly or ask at the counter.',
  csrf: () => 'The request is not valid: reload the page and try again.',
  database_busy: () => 'The system is busy right now. Please try again shortly.',
  shutting_down: () => 'The service is restarting. Please try again shortly.',
  forbidden: () => 'This is not allowed for this profile.',
  method_not_allowed: () => 'This is not allowed here.',
  invalid_form: () => 'The form sent is not valid.',
  invalid_json: () => 'The request is not a valid JSON object.',
  invalid_request: () => 'The request is not valid.',
  invalid_header: () => 'The request is not valid (a header).',
  too_many_headers: () => 'The request is not valid: too many headers.',
  unsupported_media_type: () => 'The request\'s format is not supported.',
  invalid_query: () => 'The request is not valid: an address parameter cannot be read.',
  invalid_page: () => 'Not a valid page.',
  invalid_pages: () => 'From 1 to 10 pages can be scanned.',
  invalid_box: () => 'Not a valid box: sent, received or all.',
  invalid_status: () => 'Not a valid status: open, being handled or closed.',
  invalid_unread: () => 'Not a valid "unread" filter.',
  invalid_role: () => 'Not a valid role: counter staff or technician.',
  invalid_username: () => 'The user name has 3 to 32 characters: a-z, 0-9, dot, dash or underscore.',
  weak_password: () => 'The password needs at least 12 characters.',
  invalid_notify: () => 'Not a valid notification channel: PEC, e-mail or SMS can be chosen.',
  invalid_idempotency_key: () => 'The request is not valid (its idempotency key).',
  mail_not_configured: () => 'Sending e-mail is not set up at this kiosk. Please ask at the counter.',
  sms_not_configured: () => 'Sending SMS is not set up at this kiosk. Please ask at the counter.',
  receipts_not_configured: () => 'Receipts cannot be sent from this kiosk. Please ask at the counter.',
  notification_not_sent: () => 'The notification was not sent.',
  receipt_font_unavailable: () => 'The receipt cannot be made right now (a font is missing). Please ask at the counter.',
  scan_not_waiting: () => 'No scan is waiting for an answer.',
  speech_invalid: () => 'The text to read is missing or too long, or its language, speed or volume is not valid.',
  speech_unavailable: () => 'The kiosk\'s voice is not available: please ask the counter staff.',
  card_key_usage: () => 'The certificate read from the card is not its authentication certificate. Please ask at the counter.',
  invalid_credentials: (m) => {
    if (/Inserisca/.test(m)) return 'Enter the tax code and PIN, or the user name and password.';
    const who = /Nome utente/.test(m) ? 'Wrong user name or password: please check them and try again.'
      : 'Wrong tax code or PIN: please check them and try again.';
    const left = /Resta 1 /.test(m) ? '1' : pick(/Restano (\d+)/, m);
    return who + (left === '1' ? ' 1 try left before access is locked.' : left ? ` ${left} tries left before access is locked.` : '');
  },
  locked: (m) => `Access locked for ${pick(/per (\d+) minuti/, m, '15')} minutes after too many wrong tries. To get in now, go to the counter with an identity document.`,
  too_many_attempts: () => 'Too many login attempts from this terminal. Please wait a moment and try again.',
  server_busy: () => 'The service is busy right now. Please try again shortly.',
  unauthenticated: () => 'Your session has ended. Please log in again.',
  invalid_pin: () => 'The PIN must have 8 to 16 letters or digits.',
  pin_mismatch: () => 'The two PINs do not match: please type them again.',
  pin_reset_code_wrong: () => 'Wrong counter code. Check the code the clerk gave you and type it again.',
  pin_reset_expired: () => 'The time to set the new PIN has run out: please go back to the counter for a new code.',
  pin_reset_not_started: () => 'No new PIN was started for this tax code: go to the counter with an identity document.',
  pin_reset_closed: () => 'Too many wrong codes: the new PIN was cancelled. Go back to the counter with an identity document.',
  pin_login_disabled: () => 'This kiosk logs in with the identity card only (CIE or CNS).',
  invalid_codice_fiscale: () => 'Tax code not valid.',
  invalid_subject: () => 'The subject is required and may have at most 150 characters.',
  invalid_topic: () => 'Topic not valid.',
  invalid_body: () => 'The text is required and may have at most 10,000 characters.',
  attachment_too_large: (m) => `The document ${pick(/"([^"]+)"/, m, '')} is larger than 1 MB.`.replace('  ', ' '),
  empty_attachment: (m) => `The document ${pick(/"([^"]+)"/, m, '')} is empty.`.replace('  ', ' '),
  attachment_type_not_allowed: (m) => `The document ${pick(/"([^"]+)"/, m, '')} is not of an allowed type, or its content does not match its extension. Allowed: ${pick(/ammessi: ([^.]+)/, m, 'pdf, p7m, jpg, png, tif, txt, csv, odt, ods, doc, xls, docx, xlsx')}.`.replace('  ', ' '),
  too_many_attachments: () => 'At most 5 documents can be attached to a message.',
  payload_too_large: () => 'The documents together are too large: at most 5 MB per message.',
  pec_required: () => 'A PEC address is required: without it communications cannot be sent. Add it under Contacts.',
  invalid_pec: () => 'The PEC address is not valid (example: name.surname@pec.it).',
  invalid_email: () => 'The e-mail address is not valid (example: name@domain.it).',
  invalid_extra_email: () => 'The additional e-mail address is not valid (example: name@domain.it).',
  invalid_mobile: () => 'The mobile number is not valid: an Italian mobile number is needed (e.g. 333 1234567).',
  invalid_phone: () => 'The phone number is not valid: 6 to 15 digits.',
  version_conflict: () => 'The contacts were changed meanwhile. Reload the page and try again.',
  closed: () => 'The communication is closed: for a new matter send a new communication.',
  not_found: () => 'Not found.',
  daily_quota_exceeded: (m) => `Today you have already attached ${pick(/allegato ([\d,]+ MB)/, m, 'the most')} of the ${pick(/su ([\d,]+ MB)/, m, '')} allowed a day: these documents would pass the limit. You can send them tomorrow, or send the message now without attachments.`.replace('  ', ' '),
  send_rate_exceeded: (m) => `You have already sent ${pick(/inviato (\d+)/, m, 'the most')} messages in the last hour: you can send more from ${pick(/ore (\d\d:\d\d)/, m, 'later')}.`,
  usb_inserted_before_login: () => 'The stick was already in the kiosk before you logged in, perhaps left by someone else: take it out and put it in again to use it.',
  usb_unavailable: () => 'The USB stick cannot be read or was removed. Put it in again and retry.',
  scanner_busy: () => 'The scanner is in use: wait for the scan to end.',
  scanner_unavailable: () => 'The scanner is not available. Please ask at the counter.',
  scan_too_large: () => 'The scan does not fit in 1 MB even at reduced quality: scan fewer pages at a time.',
  scan_cancelled: () => 'Scan cancelled.',
  scan_timeout: () => 'The scan took too long and was stopped.',
  scan_page_too_long: () => 'The scanned page is longer than a sheet: the scanner was stopped. Check the sheet and try again, or ask at the counter.',
  printer_unavailable: () => 'The printer is not available. Ask at the counter for a printed receipt.',
  not_printable: () => 'This document cannot be printed at the kiosk: PDFs and JPEG or PNG pictures can.',
  too_many_pages: (m) => `The document has ${pick(/ha (\d+) pagine/, m, 'too many')} pages: the kiosk prints at most ${pick(/massimo (\d+)/, m, '20')} at a time. Ask at the counter to print it all.`,
  print_in_progress: () => 'A print job is still under way: wait for it to come out, then try again.',
  pec_missing: () => 'When this communication was registered your contacts had no PEC: the receipt cannot be sent by PEC.',
  receipt_recently_mailed: () => 'This receipt was sent to your PEC less than an hour ago: please check your PEC inbox.',
  kiosk_screen_only: () => 'This works at the kiosk\'s own screen only.',
  storage_full: () => 'The kiosk\'s storage is full: nothing new can be sent for now. Reading still works; please ask at the counter.',
  storage_unavailable: () => 'The kiosk cannot save changes right now: what was already sent is safe. Please try again shortly or ask at the counter.',
  database_unavailable: () => 'The database is not available right now. Please try again shortly.',
  clock_implausible: () => 'The kiosk\'s clock is not reliable: nothing can be registered for now. Please ask at the counter.',
  search_too_short: () => 'To search, type at least 3 letters or digits.',
  already_taken: () => 'The communication has already been taken by a colleague.',
  request_timeout: () => 'The request arrived too slowly. Please try again.',
};

// A topic's name: the server's Italian, or its English on the English screen.
const topicsEn = {
  anagrafica: 'Personal details',
  deleghe: 'Delegations',
  domande_telematiche: 'Online applications',
  istanze_rateizzazione: 'Requests to pay in instalments',
  normativa: 'Rules and regulations',
  posizione_assicurativa: 'Contribution record',
  rendicontazione_gs: 'Gestione Separata reporting',
  ricorsi: 'Appeals',
  riduzione_sanzioni_civili: 'Reduction of civil penalties',
  rimborso: 'Refund',
  ruoli_versamenti: 'Rolls and payments',
};
export function topicLabel(code, italian) {
  return (getLang() === 'en' && topicsEn[code]) || italian || code;
}

export function serverText(code, message, triesLeft) {
  if (getLang() !== 'en') return message;
  if (cardErrorsEn[code]) return cardErrorsEn[code](triesLeft);
  const en = serverEn[code];
  return en ? en(message) : message;
}

// A card login's error in the screen's language: the server's Italian, or
// the English of its stable code (with the card's tries left).
const cardErrorsEn = {
  card_pin_wrong: (n) => 'Wrong card PIN.' + (n === 1 ? ' 1 try left: one more mistake blocks the card\'s PIN.'
    : n > 1 ? ` ${n} tries left before the card's PIN is blocked.` : ' A few mistakes block the card\'s PIN: check it calmly.'),
  card_pin_blocked: () => 'The card\'s PIN is blocked. Unblock it with the PUK (in the letter that came with the card) or ask at the counter.',
  card_pin_format: () => 'The card PIN is digits only: 8 for the identity card, 5 to 8 for the health card.',
  card_missing: () => 'Insert the identity card or the health card into the reader, chip up.',
  card_removed: () => 'The card was taken out during the login. Insert it again and type the PIN again.',
  card_reader_missing: () => 'The card reader does not answer. Ask the counter staff, or log in with codice fiscale and PIN if you have them.',
  card_reader_busy: () => 'The reader is busy with a card: wait a few seconds and try again.',
  card_expired: () => 'The card has expired: a valid card is needed to log in. The counter staff can help.',
  card_not_yet_valid: () => 'The card is not valid yet. Ask the counter staff to check the kiosk\'s date.',
  card_unknown_ca: () => 'The card was not issued by an authority this kiosk recognises. The electronic identity card and the health card (CNS) are accepted.',
  card_revoked: () => 'The card has been revoked and cannot be used to log in. Ask its issuer or the counter staff.',
  card_no_codice_fiscale: () => 'The card carries no codice fiscale: the electronic identity card or the health card is needed. The counter staff can help.',
  card_no_certificate: () => 'The card holds no readable authentication certificate. Please ask at the counter.',
  card_not_in_archive: () => 'The card is valid, but its codice fiscale is not enrolled in the Gestione Separata at this office. Please ask at the counter.',
  card_signature_invalid: () => 'The card did not confirm the identity. Take it out, insert it again and try again.',
  card_crl_expired: () => 'The kiosk cannot check cards right now (its list of revoked cards is out of date). Please ask the counter staff.',
  card_ca_missing: () => 'The kiosk cannot check cards right now. Please ask the counter staff.',
};

export function cardErrorText(err) {
  const en = getLang() === 'en' && err && cardErrorsEn[err.code];
  if (!en) return err && err.message ? err.message : String(err);
  return en(err.triesLeft);
}
