// Progressive enhancements of the forms (no inline script: the content security policy
// forbids it). Without JavaScript every checkbox is listed and latitude/longitude are typed.
document.addEventListener("DOMContentLoaded", function () {
  // A filter box above each long list of checkboxes (filières).
  document.querySelectorAll(".filter-choices").forEach(function (list) {
    var label = list.getAttribute("data-filter-label") || "Filter";
    var box = document.createElement("input");
    box.type = "search";
    box.className = "choice-filter";
    box.setAttribute("aria-label", label);
    box.placeholder = label;
    box.addEventListener("input", function () {
      var words = box.value.trim().toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
      list.querySelectorAll("label").forEach(function (item) {
        var text = item.textContent.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
        var row = item.closest("div") || item;
        var checked = item.querySelector("input") && item.querySelector("input").checked;
        row.hidden = words !== "" && text.indexOf(words) === -1 && !checked;
      });
    });
    list.parentNode.insertBefore(box, list);
  });
  // "Use my position": shown only where the browser can locate; fills latitude/longitude.
  document.querySelectorAll("button.use-position").forEach(function (button) {
    if (!("geolocation" in navigator)) { return; }
    var status = document.getElementById(button.getAttribute("aria-controls") + "-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      if (status) { status.textContent = button.getAttribute("data-waiting"); }
      navigator.geolocation.getCurrentPosition(function (position) {
        document.getElementById(button.getAttribute("data-latitude")).value =
          position.coords.latitude.toFixed(5);
        document.getElementById(button.getAttribute("data-longitude")).value =
          position.coords.longitude.toFixed(5);
        if (status) { status.textContent = button.getAttribute("data-done"); }
      }, function () {
        if (status) { status.textContent = button.getAttribute("data-failed"); }
      }, {enableHighAccuracy: true, timeout: 15000});
    });
  });
  // Member counts a legal form requires (SCOOPS, COOP-CA): required while that form is chosen.
  document.querySelectorAll("[data-required-for]").forEach(function (input) {
    var select = input.form && input.form.querySelector("select[name=legal_form]");
    var label = input.form && input.form.querySelector("label[for='" + input.id + "']");
    if (!select) { return; }
    var forms = input.getAttribute("data-required-for").split(" ");
    var mark = document.createElement("span");
    mark.className = "required-mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = "*";
    function update() {
      input.required = forms.indexOf(select.value) !== -1;
      if (label && input.required && !label.contains(mark)) { label.appendChild(mark); }
      if (label && !input.required && label.contains(mark)) { label.removeChild(mark); }
    }
    select.addEventListener("change", update);
    update();
  });
});
