// The client's upload: big Photo and Files buttons; photos gather in a strip (see, reorder,
// delete, add pages) and become one PDF; each file gets its own facts and its own result,
// which stay on screen with a summary; the desk's list is refreshed in place (htmx).
// Without this script the form posts normally and the server does the same checks.
(function () {
  "use strict";
  var PARALLEL = 3;

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (all, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : all;
    });
  }

  function counted(words, key, count) {
    var forms = words[key];
    var lang = document.documentElement.lang || "en";
    var rule = window.Intl && Intl.PluralRules
      ? new Intl.PluralRules(lang).select(count)
      : (count === 1 || (lang === "fr" && count === 0) ? "one" : "other");
    return fill(rule === "one" ? forms.one : forms.other, { count: count });
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function extensionOf(name) {
    var dot = name.lastIndexOf(".");
    return dot < 0 ? "" : name.slice(dot).toLowerCase();
  }

  function init(form) {
    var words = JSON.parse(document.getElementById("upload-words").textContent);
    var list = form.querySelector("[data-upload-list]");
    var strip = form.querySelector("[data-strip]");
    var stripList = form.querySelector("[data-strip-list]");
    var files = form.querySelector("input[type=file][name=uploads]");
    var camera = form.querySelector("input[type=file][name=photos]");
    var keep = form.querySelector("input[name=keep]");
    var submit = form.querySelector("[data-submit]");
    var summary = form.querySelector("[data-upload-summary]");
    var category = form.querySelector("select[name=category]");
    var pending = [];  // {file, row, facts}
    var photos = [];   // File, in page order
    var previews = new Map();  // File -> its object URL, released when the photo leaves
    var serial = 0;
    var busy = false;
    var refusedHere = 0;  // refused in the browser since the last sending
    var reasonsHere = [];  // and why, each reason once
    var addPage = form.querySelector("[data-add-page]");
    // What the strip says about its limits: the pages one document may have (the server takes
    // at most that many files at once) and its size (about the photos' bytes together).
    var stripNote = element("p", "help");
    stripNote.id = "strip-limit";
    stripNote.setAttribute("role", "status");
    addPage.insertAdjacentElement("afterend", stripNote);
    addPage.setAttribute("aria-describedby", "strip-limit");

    // The labels of the form's own facts fields (without their colon), for each file's facts.
    var labels = {};
    form.querySelectorAll(".no-js-only label").forEach(function (lab) { labels[lab.htmlFor] = lab.textContent.replace(/\s*:\s*$/, ""); });

    form.classList.add("js-upload");
    form.querySelector("[data-strip-help]").textContent = words.photosOne;

    function label() {
      submit.textContent = keep && keep.checked ? words.keep : words.send;
    }
    if (keep) keep.addEventListener("change", label);
    label();

    function factField(row, name, labelText, input) {
      var id = "upload-" + row.serial + "-" + name;
      var wrap = element("div", "field");
      var lab = element("label", "", labelText);
      lab.htmlFor = id;
      input.id = id;
      input.name = name;
      if (input.type === "checkbox") { wrap.appendChild(input); wrap.appendChild(lab); } else { wrap.appendChild(lab); wrap.appendChild(input); }
      return wrap;
    }

    function factsBlock(row) {
      // The optional facts of one file (one document), labelled like the form's own.
      var details = element("details", "upload-facts");
      details.appendChild(element("summary", "", words.details));
      var grid = element("div", "grid-2");
      if (category) {
        var select = category.cloneNode(true);
        select.value = category.value;
        grid.appendChild(factField(row, "category", labels[category.id] || "", select));
      }
      var due = element("input"); due.type = "date";
      grid.appendChild(factField(row, "due_date", labels.id_due_date || "", due));
      var amount = element("input"); amount.type = "number"; amount.step = "0.01"; amount.min = "0.01"; amount.inputMode = "decimal";
      grid.appendChild(factField(row, "amount", labels.id_amount || "", amount));
      var paid = element("input"); paid.type = "checkbox"; paid.value = "on";
      grid.appendChild(factField(row, "paid", labels.id_paid || "", paid));
      details.appendChild(grid);
      var comment = element("textarea"); comment.rows = 2; comment.maxLength = 2000;
      details.appendChild(factField(row, "comment", labels.id_comment || "", comment));
      return details;
    }

    function problemOf(file) {
      if (words.extensions.indexOf(extensionOf(file.name)) < 0) return words.wrongType;
      if (file.size > words.maxBytes) return words.tooLarge;
      if (file.size === 0) return words.empty;
      return "";
    }

    function newRow(title) {
      serial += 1;
      var li = element("li", "upload-item");
      var name = element("span", "upload-name cut", title);
      name.title = title;
      var state = element("span", "upload-state");
      li.appendChild(name);
      li.appendChild(state);
      return { li: li, name: name, state: state, serial: serial };
    }

    function refuse(file, problem) {
      // Refused in the browser: the row says why and stays; nothing is sent.
      var row = newRow(file.name);
      row.li.classList.add("upload-error");
      row.state.textContent = problem;
      list.appendChild(row.li);
      refusedHere += 1;
      remember(reasonsHere, problem);
    }

    function remember(reasons, reason) {
      if (reason && reasons.indexOf(reason) < 0) reasons.push(reason);
    }

    function captureProblem() {
      // Why the strip cannot be sent as it is ("" when it can): too many pages, or too large
      // together (the combined PDF is about the size of its photos; the server checks again).
      if (photos.length > words.maxPages) return counted(words, "tooManyPages", words.maxPages);
      var bytes = photos.reduce(function (total, file) { return total + file.size; }, 0);
      if (bytes > words.maxBytes) return words.pagesTooLarge;
      return "";
    }

    function showLimits() {
      var full = photos.length >= words.maxPages;
      var problem = captureProblem();
      addPage.disabled = full;
      stripNote.className = problem ? "upload-summary has-refused" : "help";
      stripNote.textContent = problem || (full ? counted(words, "limitReached", words.maxPages) : "");
    }

    function addFiles(chosen) {
      Array.prototype.forEach.call(chosen, function (file) {
        var problem = problemOf(file);
        if (problem) { refuse(file, problem); return; }
        var row = newRow(file.name);
        var item = { file: file, row: row };
        var remove = element("button", "button-small", words.remove);
        remove.type = "button";
        remove.setAttribute("aria-label", words.remove + " " + file.name);
        remove.addEventListener("click", function () {
          pending = pending.filter(function (other) { return other !== item; });
          row.li.remove();
        });
        row.li.appendChild(remove);
        item.facts = factsBlock(row);
        row.li.appendChild(item.facts);
        pending.push(item);
        list.appendChild(row.li);
      });
    }

    function showStrip() {
      stripList.innerHTML = "";
      strip.hidden = photos.length === 0;
      photos.forEach(function (file, index) {
        var li = element("li", "strip-page");
        var img = element("img");
        if (!previews.has(file)) previews.set(file, URL.createObjectURL(file));
        img.src = previews.get(file);
        img.decoding = "async";
        img.alt = fill(words.page, { count: index + 1 });
        li.appendChild(img);
        li.appendChild(element("span", "strip-number", fill(words.page, { count: index + 1 })));
        var tools = element("span", "strip-tools");
        [["earlier", "←", -1], ["later", "→", 1], ["remove", "✕", 0]].forEach(function (spec) {
          var button = element("button", "button-small", spec[1]);
          button.type = "button";
          button.setAttribute("aria-label", words[spec[0]] + " · " + fill(words.page, { count: index + 1 }));
          var target = index + spec[2];
          if (spec[2] !== 0 && (target < 0 || target >= photos.length)) button.disabled = true;
          button.addEventListener("click", function () {
            if (spec[2] === 0) release(photos.splice(index, 1)[0]);
            else { var moved = photos.splice(index, 1)[0]; photos.splice(target, 0, moved); }
            showStrip();
          });
          tools.appendChild(button);
        });
        li.appendChild(tools);
        stripList.appendChild(li);
      });
      showLimits();
      if (photos.length && !strip.facts) {
        strip.facts = factsBlock(newRow(""));
        strip.appendChild(strip.facts);
      }
    }

    function release(file) {
      if (previews.has(file)) { URL.revokeObjectURL(previews.get(file)); previews.delete(file); }
    }

    function addPhotos(chosen) {
      Array.prototype.forEach.call(chosen, function (file) {
        var problem = problemOf(file);
        if (problem) refuse(file, problem);
        else photos.push(file);
      });
      showStrip();
    }

    files.addEventListener("change", function () { addFiles(files.files); files.value = ""; });
    camera.addEventListener("change", function () { addPhotos(camera.files); camera.value = ""; });
    addPage.addEventListener("click", function () { camera.click(); });
    ["dragenter", "dragover"].forEach(function (type) {
      form.addEventListener(type, function (event) { event.preventDefault(); form.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      form.addEventListener(type, function () { form.classList.remove("dragging"); });
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      addFiles(event.dataTransfer.files);
    });

    function common(facts) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      data.append("section", form.querySelector("[name=section]").value);
      if (keep && keep.checked) data.append("keep", "on");
      if (facts) {
        facts.querySelectorAll("input, select, textarea").forEach(function (el) {
          if (el.type === "checkbox" && !el.checked) return;
          if (el.value !== "") data.append(el.name, el.value);
        });
      }
      if (!data.has("category") && category) data.append("category", category.value);
      return data;
    }

    function post(job, done) {
      var bar = element("progress");
      bar.max = 100; bar.value = 0;
      bar.setAttribute("aria-label", job.title);
      job.row.li.insertBefore(bar, job.row.state);
      job.row.state.textContent = words.sending;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      });
      xhr.addEventListener("loadend", function () {
        var answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = {}; }
        var result = (answer.results || [])[0];
        bar.remove();
        var outcome = "refused";
        if (result && result.ok) outcome = result.duplicate ? "duplicate" : (result.sent ? "sent" : "kept");
        job.row.li.classList.add(outcome === "refused" ? "upload-error" : "upload-ok");
        job.row.state.textContent = result ? result.message : (answer.error || words.lost);
        job.reason = outcome === "refused" ? job.row.state.textContent : "";
        if (job.facts) job.facts.remove();
        if (result && result.ok && result.url) {
          var link = element("a", "upload-name cut", result.name || job.row.name.textContent);
          link.href = result.url;
          link.title = link.textContent;
          job.row.li.replaceChild(link, job.row.name);
        }
        done(outcome, job.reason);
      });
      xhr.send(job.data);
    }

    function report(counts, reasons) {
      // The counts, then why files were refused (each reason once): "1 sent · 2 refused: …".
      var parts = [];
      ["sent", "kept", "duplicate", "refused"].forEach(function (key) {
        if (counts[key]) parts.push(counted(words, key, counts[key]));
      });
      var text = parts.join(" · ");
      if (counts.refused && reasons.length) text = fill(words.refusedBecause, { counts: text, reasons: reasons.join(" ") });
      summary.textContent = text;
      summary.className = "upload-summary" + (counts.sent + counts.kept + counts.duplicate ? "" : " has-refused");
      var live = document.getElementById("desk-live");
      if (live && window.htmx) {
        window.htmx.ajax("GET", window.location.href, { target: "#desk-live", select: "#desk-live", swap: "outerHTML" });
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      var problem = captureProblem();
      if (problem) {
        // Nothing leaves while the strip is over its limits, rather than be refused whole
        // by the server once all of it has been sent.
        summary.textContent = problem;
        summary.className = "upload-summary has-refused";
        showLimits();
        return;
      }
      var jobs = [];
      pending.forEach(function (item) {
        var data = common(item.facts);
        data.append("uploads", item.file, item.file.name);
        item.facts.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = true; });
        jobs.push({ data: data, row: item.row, title: item.file.name, facts: item.facts });
        item.row.li.querySelectorAll("button").forEach(function (b) { b.remove(); });
      });
      if (photos.length) {
        var data = common(strip.facts);
        photos.forEach(function (file) { data.append("photos", file, file.name); });
        if (photos.length > 1) data.append("combine", "on");
        var row = newRow(photos.length > 1 ? fill(words.pages, { count: photos.length }) : photos[0].name);
        list.appendChild(row.li);
        jobs.push({ data: data, row: row, title: row.name.textContent });
      }
      if (!jobs.length && refusedHere) {
        // Everything chosen was refused here: the summary says so, and why.
        report({ sent: 0, kept: 0, duplicate: 0, refused: refusedHere }, reasonsHere);
        refusedHere = 0;
        reasonsHere = [];
        return;
      }
      if (!jobs.length) {
        summary.textContent = words.nothing;
        summary.className = "upload-summary has-refused";
        return;
      }
      busy = true;
      submit.disabled = true;
      pending = [];
      photos.forEach(release);
      photos = [];
      if (strip.facts) { strip.facts.remove(); strip.facts = null; }
      showStrip();
      var counts = { sent: 0, kept: 0, duplicate: 0, refused: refusedHere };
      var reasons = reasonsHere;
      refusedHere = 0;
      reasonsHere = [];
      var next = 0;
      var finished = 0;
      function start() {
        if (next >= jobs.length) return;
        var job = jobs[next];
        next += 1;
        post(job, function (outcome, reason) {
          counts[outcome] += 1;
          remember(reasons, reason);
          finished += 1;
          if (finished === jobs.length) {
            busy = false;
            submit.disabled = false;
            report(counts, reasons);
          } else {
            start();
          }
        });
      }
      for (var i = 0; i < Math.min(PARALLEL, jobs.length); i += 1) start();
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

  function chosenNames() {
    // A file input shown as a button says which file was chosen.
    document.querySelectorAll("input[type=file][data-show-chosen]").forEach(function (input) {
      input.addEventListener("change", function () {
        var target = document.querySelector(input.getAttribute("data-show-chosen"));
        if (target) target.textContent = Array.prototype.map.call(input.files, function (f) { return f.name; }).join(", ");
      });
    });
  }

  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-upload]").forEach(init);
    chosenNames();
    copyButtons();
  });
})();
