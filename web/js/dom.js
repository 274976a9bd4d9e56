// The one way the pages make an element: a tag, its classes and its text (none when
// text is undefined or null), never HTML.
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}
