// 矩阵树 (the console's matrix tree): expand a matrix's sub-matrices in place.
//
// Progressive enhancement: without this script each "N 个下级矩阵" link opens the page of
// that level (/console/matrix?parent=ID). With it, a click fetches the level from the
// paged JSON API (GET /api/matrices?parent_id=ID, 100 at a time, "更多" for the next
// page) and nests it under the matrix; a second click folds it. A national tree is never
// loaded whole: only the levels someone opens.
(function () {
  "use strict";
  var PAGE = 100;
  var KINDS = { regional: "区域矩阵", vertical: "垂直矩阵" };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function expander(id, count) {
    var link = el("a", "expand", count + " 个下级矩阵");
    link.href = "/console/matrix?parent=" + id;
    link.setAttribute("data-children", String(id));
    link.setAttribute("aria-expanded", "false");
    return link;
  }

  function item(m) {
    var li = el("li");
    li.setAttribute("data-matrix", String(m.id));
    var name = el("a", "", m.name);
    name.href = "/console/matrix/" + m.id;
    li.appendChild(name);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "tag member-count", m.member_count + " 个账号"));
    var meta = [KINDS[m.kind] || m.kind];
    if (m.adcode) meta.push(m.adcode);
    if (m.sector) meta.push(m.sector);
    if (!m.lead_account_id) meta.push("未指定牵头账号");
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "meta", meta.join(" · ")));
    if (m.child_count) {
      li.appendChild(document.createTextNode(" "));
      li.appendChild(expander(m.id, m.child_count));
    }
    return li;
  }

  function load(link, list, offset) {
    var id = link.getAttribute("data-children");
    link.setAttribute("aria-busy", "true");
    var url = "/api/matrices?parent_id=" + encodeURIComponent(id) + "&limit=" + PAGE + "&offset=" + offset;
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (page) {
        page.items.forEach(function (m) { list.appendChild(item(m)); });
        var shown = page.offset + page.items.length;
        if (shown < page.total) {
          var more = el("li", "more");
          var button = el("button", "", "更多（已显示 " + shown + " / " + page.total + "）");
          button.type = "button";
          button.addEventListener("click", function () {
            list.removeChild(more);
            load(link, list, shown);
          });
          more.appendChild(button);
          list.appendChild(more);
        }
      })
      .catch(function () {
        var failed = el("li", "tree-error", "加载失败，");
        var open = el("a", "", "打开下级矩阵页 / open the sub-matrix page");
        open.href = link.href;
        failed.appendChild(open);
        list.appendChild(failed);
      })
      .then(function () { link.removeAttribute("aria-busy"); });
  }

  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest(".matrix-tree a.expand") : null;
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return; // new tab: the page
    event.preventDefault();
    var li = link.closest("li");
    var list = li.querySelector(":scope > ul.matrix-children");
    if (list) {
      list.hidden = !list.hidden;
      link.setAttribute("aria-expanded", list.hidden ? "false" : "true");
      return;
    }
    list = el("ul", "matrix-children");
    li.appendChild(list);
    link.setAttribute("aria-expanded", "true");
    load(link, list, 0);
  });
})();
