// Accessibility repairs of Dash 4 components, applied to the page as Dash renders it
// (tests/app/test_app_accessibility.py runs axe-core on every page):
// * dcc.RadioItems / dcc.Checklist mark each <label> role="option" inside a role="listbox",
//   though each label holds a native radio or checkbox: interactive content nested in an
//   option. The native inputs already carry name and state, so the option roles are dropped
//   and the list becomes a radiogroup / group.
// * dcc.Dropdown keeps an aria-hidden, focusable helper input as its tab stop (its button has
//   tabindex -1): the helper leaves the tab order and the button, which has the name, joins it.
// * Field labels (label.atlas-label) name the control in the same field box: `for` on a
//   labelable control (the dropdown's button, an input, a textarea), aria-labelledby on a group;
//   a label the page already points somewhere (htmlFor) is left alone.
// * dcc.DatePickerSingle puts aria-expanded/aria-haspopup on a plain <div>: removed (its input
//   opens the calendar).
(function () {
  var CONTROL = "button[id], input[id]:not([type=hidden]), textarea[id], select[id], " +
    "[role=radiogroup][id], [role=group][id]";

  function repair(root) {
    root.querySelectorAll("label.dash-options-list-option[role=option]").forEach(function (l) {
      l.removeAttribute("role");
      l.removeAttribute("aria-selected");
    });
    root.querySelectorAll("[role=listbox]").forEach(function (list) {
      if (list.querySelector("[role=option]") || !list.querySelector("input")) { return; }
      list.setAttribute("role", list.querySelector("input[type=radio]") ? "radiogroup" : "group");
    });
    root.querySelectorAll(".dash-dropdown-focus-target[aria-hidden=true]").forEach(function (i) {
      // the tab stop moves from the hidden helper to the dropdown's own button (Dash resets the
      // helper's tabindex on blur, hence the guarded writes and "tabindex" in the observer)
      var button = i.nextElementSibling;
      if (i.getAttribute("tabindex") !== "-1") { i.setAttribute("tabindex", "-1"); }
      if (button && button.tagName === "BUTTON" && !button.disabled &&
          button.getAttribute("tabindex") !== "0") {
        button.setAttribute("tabindex", "0");
      }
    });
    root.querySelectorAll("div[aria-haspopup]:not([role]), div[aria-expanded]:not([role])")
      .forEach(function (wrapper) {  // dcc.DatePickerSingle's wrapper: ARIA state on a plain div
        wrapper.removeAttribute("aria-haspopup");
        wrapper.removeAttribute("aria-expanded");
      });
    root.querySelectorAll("label.atlas-label").forEach(function (label) {
      if (label.hasAttribute("for") && !label.hasAttribute("data-atlas-for")) { return; }
      var box = label.parentElement;
      var control = box && box.querySelector(CONTROL);
      if (!control || control === label) { return; }
      if (/^(BUTTON|INPUT|TEXTAREA|SELECT)$/.test(control.tagName)) {
        if (label.htmlFor !== control.id) {
          label.htmlFor = control.id;
          label.setAttribute("data-atlas-for", "");
        }
      } else {
        if (!label.id) { label.id = "atlas-label-" + control.id; }
        control.setAttribute("aria-labelledby", label.id);
      }
    });
  }

  var pending = false;
  function schedule() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; repair(document); });
  }
  new MutationObserver(schedule).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true,
    attributeFilter: ["role", "aria-selected", "aria-hidden", "aria-expanded", "aria-haspopup",
                      "tabindex"]});
  schedule();
})();
