// ssot-runtime report --format html: the sites tables (sort, filter, pages). Inline; fetches nothing.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var COLUMNS = [
    { name: "file", index: 0 }, { name: "line", index: 1, num: true }, { name: "function", index: 2 },
    { name: "symbol", index: 3 }, { name: "uses", index: 4, num: true }, { name: "last seen", index: 5 }
  ];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var key in attrs || {}) { node.setAttribute(key, attrs[key]); }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function SitesTable(container, path) {
    this.all = path.sites;
    this.rows = this.all;
    this.page = 0;
    this.sortIndex = 4;
    this.descending = true;
    this.build(container);
    this.render();
  }

  SitesTable.prototype.build = function (container) {
    var self = this;
    var controls = el("div", { "class": "controls" });
    this.filter = el("input", { type: "search", "class": "filter", placeholder: "filter by file or function",
                                "aria-label": "filter by file or function" });
    this.filter.addEventListener("input", function () { self.applyFilter(); });
    this.prev = el("button", { type: "button", "class": "prev" }, "previous");
    this.next = el("button", { type: "button", "class": "next" }, "next");
    this.status = el("span", { "class": "status" });
    this.prev.addEventListener("click", function () { self.page -= 1; self.render(); });
    this.next.addEventListener("click", function () { self.page += 1; self.render(); });
    controls.append(this.filter, this.prev, this.next, this.status);
    var table = el("table", { "class": "sites-table" });
    var head = el("tr");
    this.headers = COLUMNS.map(function (column) {
      var th = el("th", { "class": "sortable" + (column.num ? " num" : ""), "data-column": column.name,
                          scope: "col" }, column.name);
      th.addEventListener("click", function () { self.sortBy(column); });
      head.appendChild(th);
      return th;
    });
    var thead = el("thead");
    thead.appendChild(head);
    this.body = el("tbody");
    table.append(thead, this.body);
    container.append(controls, table);
  };

  SitesTable.prototype.applyFilter = function () {
    var needle = this.filter.value.trim().toLowerCase();
    this.rows = needle ? this.all.filter(function (row) {
      return row[0].toLowerCase().indexOf(needle) >= 0 || row[2].toLowerCase().indexOf(needle) >= 0;
    }) : this.all;
    this.page = 0;
    this.sort();
    this.render();
  };

  SitesTable.prototype.sortBy = function (column) {
    if (this.sortIndex === column.index) { this.descending = !this.descending; }
    else { this.sortIndex = column.index; this.descending = !!column.num; }
    this.page = 0;
    this.sort();
    this.render();
  };

  SitesTable.prototype.sort = function () {
    var index = this.sortIndex, sign = this.descending ? -1 : 1;
    this.rows = this.rows.slice().sort(function (a, b) {
      var x = a[index], y = b[index];
      if (x < y) { return -sign; }
      if (x > y) { return sign; }
      return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1];
    });
  };

  SitesTable.prototype.render = function () {
    var size = data.pageSize, pages = Math.max(1, Math.ceil(this.rows.length / size));
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    var start = this.page * size, shown = this.rows.slice(start, start + size);
    var fragment = document.createDocumentFragment();
    shown.forEach(function (row) {
      var tr = el("tr");
      COLUMNS.forEach(function (column) {
        tr.appendChild(el("td", column.num ? { "class": "num" } : {}, String(row[column.index])));
      });
      fragment.appendChild(tr);
    });
    this.body.replaceChildren(fragment);
    var self = this;
    this.headers.forEach(function (th, i) {
      if (COLUMNS[i].index === self.sortIndex) { th.setAttribute("aria-sort", self.descending ? "descending" : "ascending"); }
      else { th.removeAttribute("aria-sort"); }
    });
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.page >= pages - 1;
    this.status.textContent = this.rows.length
      ? "sites " + (start + 1) + "-" + (start + shown.length) + " of " + this.rows.length +
        (this.rows.length !== this.all.length ? " (filtered from " + this.all.length + ")" : "")
      : "no site matches";
  };

  document.querySelectorAll(".sites").forEach(function (container) {
    new SitesTable(container, data.paths[Number(container.getAttribute("data-path"))]);
  });
}());
