import { record } from './state.mjs';

class Metric {
  constructor(name, type) {
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`invalid metric name ${name}`);
    this.name = name;
    this.type = type;
  }
  add(value, tags) {
    record(this.name, this.type, Number(value), tags);
  }
}

export class Counter extends Metric {
  constructor(name) { super(name, 'counter'); }
}
export class Trend extends Metric {
  constructor(name) { super(name, 'trend'); }
}
export class Rate extends Metric {
  constructor(name) { super(name, 'rate'); }
  add(value, tags) { record(this.name, 'rate', value ? 1 : 0, tags); }
}
export class Gauge extends Metric {
  constructor(name) { super(name, 'gauge'); }
}
