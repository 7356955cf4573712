// Allure 3's quality gate calls Iterator.prototype.toArray, which Node has from version 22; Debian and
// many CI images ship Node 20. `make report` preloads this file (node --import) on older Nodes.
const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
if (typeof iteratorPrototype.toArray !== "function") {
  Object.defineProperty(iteratorPrototype, "toArray", {
    value() {
      return Array.from(this);
    },
    configurable: true,
    writable: true,
  });
}
