// Just enough of a shell for `pocketstack host exec HOST "CMD ARGS | grep X | head -3"`: words
// with bash's quoting (single quotes, double quotes with backslash escapes, backslashes), a
// pipeline split on unquoted `|`, and the text filters people pipe host tools into (grep, head,
// tail, wc, sort, uniq, cat). Filters work line by line as the output streams, so
// `tcpdump … | grep ICMP` prints while it captures, and `| head -2` stops the command as a
// closed pipe would.

export class ShellSyntaxError extends Error {}

/** Splits a command line into pipeline stages of words. */
export function parsePipeline(line: string): string[][] {
  const stages: string[][] = [[]];
  let word = '';
  let inWord = false;
  let i = 0;
  const endWord = () => {
    if (inWord) stages[stages.length - 1].push(word);
    word = '';
    inWord = false;
  };
  while (i < line.length) {
    const c = line[i];
    if (c === "'") {
      const j = line.indexOf("'", i + 1);
      if (j < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `''");
      word += line.slice(i + 1, j);
      inWord = true;
      i = j + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= line.length) throw new ShellSyntaxError('unexpected EOF while looking for matching `"\'');
        const d = line[i];
        if (d === '"') break;
        if (d === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1])) {
          word += line[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else if (c === '\\') {
      if (i + 1 < line.length) word += line[i + 1];
      inWord = true;
      i += 2;
    } else if (c === '|') {
      endWord();
      if (stages[stages.length - 1].length === 0)
        throw new ShellSyntaxError("syntax error near unexpected token `|'");
      stages.push([]);
      i++;
    } else if (c === ' ' || c === '\t' || c === '\n') {
      endWord();
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  endWord();
  if (stages[stages.length - 1].length === 0) {
    if (stages.length > 1) throw new ShellSyntaxError("syntax error near unexpected token `|'");
    return [];
  }
  return stages;
}

/** One filter of a pipeline: gets lines, writes lines to `out`, has an exit code at the end. */
export interface LineFilter {
  line(text: string): void;
  end(): number;
}

type Out = (line: string) => void;

/** Builds a filter from its argv, or a usage message (as the real tool prints it) when argv is bad. */
export function makeFilter(argv: string[], out: Out, stop: () => void): LineFilter | string {
  const [name, ...args] = argv;
  switch (name) {
    case 'grep':
    case 'egrep':
    case 'fgrep':
      return grep(name, args, out);
    case 'head':
    case 'tail': {
      const n = countArg(name, args);
      if (typeof n === 'string') return n;
      return name === 'head' ? head(n, out, stop) : tail(n, out);
    }
    case 'wc':
      return wc(args, out);
    case 'sort':
      return sort(args, out);
    case 'uniq':
      return uniq(out);
    case 'cat':
      return { line: out, end: () => 0 };
  }
  return `bash: ${name}: command not found`;
}

/** Names a pipeline may end in. */
export const FILTERS = new Set(['grep', 'egrep', 'fgrep', 'head', 'tail', 'wc', 'sort', 'uniq', 'cat']);

function countArg(name: string, args: string[]): number | string {
  let n = 10;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    let v: string | undefined;
    if (a === '-n') v = args[++i];
    else if (a.startsWith('-n')) v = a.slice(2);
    else if (/^-\d+$/.test(a)) v = a.slice(1);
    else if (a.startsWith('--lines=')) v = a.slice(8);
    else return `${name}: cannot open '${a}' for reading: No such file or directory`;
    if (v === undefined || !/^\d+$/.test(v)) return `${name}: invalid number of lines: '${v ?? ''}'`;
    n = Number(v);
  }
  return n;
}

function head(n: number, out: Out, stop: () => void): LineFilter {
  let seen = 0;
  if (n === 0) stop();
  return {
    line(text) {
      if (seen >= n) return;
      seen++;
      out(text);
      if (seen >= n) stop(); // the reader closes the pipe: the writer stops (SIGPIPE)
    },
    end: () => 0,
  };
}

function tail(n: number, out: Out): LineFilter {
  const kept: string[] = [];
  return {
    line(text) {
      kept.push(text);
      if (kept.length > n) kept.shift();
    },
    end() {
      for (const l of kept) out(l);
      return 0;
    },
  };
}

function wc(args: string[], out: Out): LineFilter {
  let lines = 0;
  let words = 0;
  let bytes = 0;
  const flags = args.join('').replaceAll('-', '');
  return {
    line(text) {
      lines++;
      words += text.split(/\s+/).filter(Boolean).length;
      bytes += Buffer.byteLength(text) + 1;
    },
    end() {
      const cols: number[] = [];
      if (flags === '' || flags.includes('l')) cols.push(lines);
      if (flags === '' || flags.includes('w')) cols.push(words);
      if (flags === '' || flags.includes('c')) cols.push(bytes);
      // coreutils: a single count prints bare; several are right-aligned to a common width
      out(cols.length === 1 ? String(cols[0]) : cols.map((c) => String(c).padStart(7)).join(' '));
      return 0;
    },
  };
}

function sort(args: string[], out: Out): LineFilter {
  const flags = args.join('').replaceAll('-', '');
  const all: string[] = [];
  return {
    line: (t) => all.push(t),
    end() {
      const numeric = flags.includes('n');
      all.sort((a, b) => (numeric ? Number.parseFloat(a) - Number.parseFloat(b) || cmp(a, b) : cmp(a, b)));
      if (flags.includes('r')) all.reverse();
      let last: string | undefined;
      for (const l of all) {
        if (flags.includes('u') && l === last) continue;
        out(l);
        last = l;
      }
      return 0;
    },
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function uniq(out: Out): LineFilter {
  let last: string | undefined;
  return {
    line(t) {
      if (t !== last) out(t);
      last = t;
    },
    end: () => 0,
  };
}

function grep(name: string, args: string[], out: Out): LineFilter | string {
  let invert = false;
  let ignoreCase = false;
  let count = false;
  let number = false;
  let quiet = false;
  let words = false;
  let onlyMatching = false;
  let mode: 'basic' | 'extended' | 'fixed' =
    name === 'egrep' ? 'extended' : name === 'fgrep' ? 'fixed' : 'basic';
  const patterns: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-e') {
      patterns.push(args[++i] ?? '');
      continue;
    }
    if (!a.startsWith('-') || a === '-') break;
    for (const f of a.slice(1)) {
      if (f === 'v') invert = true;
      else if (f === 'i') ignoreCase = true;
      else if (f === 'c') count = true;
      else if (f === 'n') number = true;
      else if (f === 'q') quiet = true;
      else if (f === 'w') words = true;
      else if (f === 'o') onlyMatching = true;
      else if (f === 'E') mode = 'extended';
      else if (f === 'F') mode = 'fixed';
      else if (f === 'G') mode = 'basic';
      else
        return `grep: invalid option -- '${f}'\nUsage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.`;
    }
  }
  if (patterns.length === 0) {
    if (i >= args.length)
      return "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.";
    patterns.push(args[i++]);
  }
  if (i < args.length) return `grep: ${args[i]}: No such file or directory`;
  let re: RegExp;
  try {
    const src = patterns
      .flatMap((p) => p.split('\n'))
      .map((p) => (mode === 'fixed' ? escapeRe(p) : mode === 'basic' ? basicToJs(p) : p))
      .map((p) => (words ? `(?<![\\w])(?:${p})(?![\\w])` : p))
      .join('|');
    re = new RegExp(src, ignoreCase ? 'gi' : 'g');
  } catch {
    return 'grep: Unmatched ( or \\(';
  }
  let n = 0;
  let matched = 0;
  return {
    line(text) {
      n++;
      re.lastIndex = 0;
      const hit = re.test(text);
      if (hit === invert) return;
      matched++;
      if (count || quiet) return;
      if (onlyMatching && !invert) {
        re.lastIndex = 0;
        for (const m of text.matchAll(re)) if (m[0] !== '') out(number ? `${n}:${m[0]}` : m[0]);
        return;
      }
      out(number ? `${n}:${text}` : text);
    },
    end() {
      if (count) out(String(matched));
      return matched > 0 ? 0 : 1;
    },
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** POSIX basic regular expression to a JavaScript one: `\(`, `\|`, `\+` are operators, bare `(|+?{}` literals. */
function basicToJs(p: string): string {
  let s = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\' && i + 1 < p.length) {
      const d = p[++i];
      s += '(){}|+?'.includes(d) ? d : `\\${d}`;
    } else if ('(){}|+?'.includes(c)) s += `\\${c}`;
    else s += c;
  }
  return s;
}
