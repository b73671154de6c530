// Small screens: the menu button shows and hides the navigation (atlas.css, @media 768px).
document.addEventListener("click", function (event) {
  var button = event.target.closest(".atlas-menu-button");
  if (!button) { return; }
  var header = button.closest(".atlas-header");
  var open = header.classList.toggle("atlas-nav-open");
  button.setAttribute("aria-expanded", open ? "true" : "false");
});
