// Small DOM helpers every section shares: an element by id, the one menu filler, table rows and the error box.

export const $ = (id) => document.getElementById(id);

// A menu's options from [value, label] pairs. `chosen` is selected where it is offered, else the first
// option is; by default it is the choice the person made, so it survives a refill that still offers it.
export function fillSelect(select, items, chosen = select.value) {
  select.replaceChildren(...items.map(([value, label]) => {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    return option;
  }));
  if (items.some(([value]) => value === chosen)) select.value = chosen;
}

// A table body's rows, one array of cell texts per row.
export function fillRows(body, rows) {
  body.replaceChildren(...rows.map((texts) => {
    const row = document.createElement("tr");
    for (const text of texts) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  }));
}

// A problem (RFC 9457 JSON from the service, or one made up here) as a title and a sentence.
export function showError(problem) {
  const box = $("error");
  box.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = problem.title || "Something went wrong";
  const detail = document.createElement("span");
  detail.textContent = problem.detail || "";
  box.append(title, detail);
  box.hidden = false;
}

export function clearError() { $("error").hidden = true; }
