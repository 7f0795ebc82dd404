// The console works without this script; it only adds the copy buttons (a CSP of 'self' allows no inline code).
'use strict';
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null;
  if (!button) return;
  const field = document.getElementById(button.getAttribute('data-copy'));
  const status = document.getElementById(button.getAttribute('aria-describedby') || '');
  const say = (text) => {
    if (status) status.textContent = text;
  };
  field.select();
  // The Clipboard API needs a secure context (https or localhost); elsewhere the text stays selected.
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(
      () => say('Copied to the clipboard.'),
      () => say('Selected: press Ctrl+C (⌘C) to copy.'),
    );
  } else {
    say('Selected: press Ctrl+C (⌘C) to copy.');
  }
});
