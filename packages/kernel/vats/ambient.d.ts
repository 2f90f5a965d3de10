/// <reference types="ses" />
// Vat and device code runs under SES (harden is a global there).
