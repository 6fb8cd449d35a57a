// Upload with a progress bar per file. Without this script the form posts normally.
(function () {
  "use strict";
  function init(form) {
    var list = form.querySelector("[data-upload-list]");
    var zone = form.querySelector("[data-dropzone]");
    var input = form.querySelector("input[type=file][name=uploads]");
    var photos = form.querySelector("input[type=file][name=photos]");
    var pending = [];
    function show() {
      list.innerHTML = "";
      pending.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "upload-item";
        var name = document.createElement("span");
        name.textContent = item.file.name;
        var bar = document.createElement("progress");
        bar.max = 100; bar.value = 0;
        bar.setAttribute("aria-label", item.file.name);
        var state = document.createElement("span");
        state.className = "upload-state";
        li.appendChild(name); li.appendChild(bar); li.appendChild(state);
        list.appendChild(li);
        item.bar = bar; item.state = state; item.li = li;
      });
    }
    function add(files) {
      Array.prototype.forEach.call(files, function (file) { pending.push({ file: file }); });
      show();
    }
    input.addEventListener("change", function () { pending = []; add(input.files); if (photos) add(photos.files); });
    if (photos) photos.addEventListener("change", function () { pending = []; add(input.files); add(photos.files); });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      add(event.dataTransfer.files);
    });
    form.addEventListener("submit", function (event) {
      var combine = form.querySelector("input[name=combine]");
      if (!pending.length || (combine && combine.checked)) return; // one request: normal post
      event.preventDefault();
      var done = 0;
      pending.forEach(function (item) {
        var data = new FormData();
        Array.prototype.forEach.call(form.elements, function (el) {
          if (!el.name || el.type === "file" || el.type === "submit") return;
          if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
          data.append(el.name, el.value);
        });
        data.append("uploads", item.file, item.file.name);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.action);
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable) item.bar.value = Math.round((e.loaded / e.total) * 100);
        });
        xhr.addEventListener("loadend", function () {
          var answer = {};
          try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = {}; }
          var result = (answer.results || [])[0];
          var ok = result && result.ok;
          item.bar.value = 100;
          item.li.classList.add(ok ? "upload-ok" : "upload-error");
          item.state.textContent = result ? result.message : (answer.error || xhr.statusText);
          done += 1;
          if (done === pending.length) {
            pending = [];
            window.setTimeout(function () { window.location.reload(); }, 1500);
          }
        });
        xhr.send(data);
      });
    });
  }
  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var target = document.querySelector(button.getAttribute("data-copy"));
        if (target && navigator.clipboard) navigator.clipboard.writeText(target.textContent.trim());
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-upload]").forEach(init);
    copyButtons();
  });
})();
