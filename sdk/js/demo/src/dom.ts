/** Small DOM helpers: the demo builds its few elements by hand (no framework). */

/** The element of `id` in index.html (a missing one is a bug of the demo, not of the user). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

interface Props {
  className?: string;
  text?: string;
  testid?: string;
  title?: string;
  data?: Record<string, string>;
}

/** `<tag class=… data-testid=…>children</tag>`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className) element.className = props.className;
  if (props.text !== undefined) element.textContent = props.text;
  if (props.testid) element.dataset.testid = props.testid;
  if (props.title) element.title = props.title;
  for (const [key, value] of Object.entries(props.data ?? {})) element.dataset[key] = value;
  element.append(...children);
  return element;
}

/** A round badge with the first letter of a user id. */
export function avatar(uid: string): HTMLSpanElement {
  return h("span", { className: "avatar", text: uid.trim().charAt(0) || "?" });
}

/** "14:05" for a timestamp in ms (spec §1.6 `serverReceivedTs` is display-only). */
export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** "1.2 MB" */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Keep a message list scrolled to its newest entry. */
export function append(list: HTMLElement, item: HTMLElement): void {
  list.append(item);
  list.scrollTop = list.scrollHeight;
}

const ICONS = {
  phone: "M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2",
} as const;

/** One of the demo's line icons (the same as index.html's), drawn in the text's colour. */
export function icon(name: keyof typeof ICONS): SVGSVGElement {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}
