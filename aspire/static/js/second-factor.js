// The admin's second factor (aspire/second_factor.py): once a passkey is registered, carry on
// to the page's "Continue" link, as a click on it would. Without JavaScript there are no passkeys,
// and the authenticator app's form works on its own.
document.addEventListener("otp_webauthn.register_complete", function () {
  var next = document.getElementById("second-factor-continue");
  if (next) {
    window.location.assign(next.href);
  }
});
