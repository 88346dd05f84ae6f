// Countdown for timed attempts. The deadline itself is enforced on the
// server and printed in the page; this only shows the time left, announces
// it to screen readers at 5 and 1 minutes (never every second), and submits
// the saved answers when time is up.
(function () {
  "use strict";

  var box = document.getElementById("quiz-timer");
  if (!box) return;
  var secondsLeft = parseInt(box.dataset.secondsLeft, 10);
  if (isNaN(secondsLeft)) return;

  // Measured from the server's count, not the device clock (which may be off).
  var end = Date.now() + secondsLeft * 1000;
  var display = box.querySelector(".timer-countdown");
  var announcer = document.getElementById("timer-announcer");
  var announced = { five: secondsLeft <= 300, one: secondsLeft <= 60 };
  var submitted = false;

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function format(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s);
  }

  function announce(text) {
    if (announcer) announcer.textContent = text;
  }

  function submit() {
    if (submitted) return;
    submitted = true;
    var form = document.getElementById("attempt-form");
    if (!form) {
      window.location.reload();
      return;
    }
    var action = document.createElement("input");
    action.type = "hidden";
    action.name = "action";
    action.value = "finish";
    form.appendChild(action);
    form.submit();
  }

  function tick() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    display.textContent = (box.dataset.labelLeft || "") + " " + format(left);
    display.classList.toggle("is-low", left <= 60);
    if (!announced.five && left <= 300) {
      announced.five = true;
      announce(box.dataset.labelFive);
    }
    if (!announced.one && left <= 60) {
      announced.one = true;
      announce(box.dataset.labelOne);
    }
    if (left <= 0) {
      clearInterval(interval);
      announce(box.dataset.labelUp);
      submit();
    }
  }

  display.hidden = false;
  var interval = setInterval(tick, 1000);
  tick();
})();
