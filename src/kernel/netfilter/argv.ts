// Splitting an iptables-restore line into arguments the way iptables-restore does
// (add_param_to_argv in iptables/xshared.c): whitespace separates, double or single quotes group,
// a backslash escapes a quote inside quotes. And the reverse for -S/-save output
// (xtables_save_string): quote a value unless it is made only of [A-Za-z0-9_-].

export type SplitResult = { ok: true; args: string[] } | { ok: false; error: string };

export function splitArgs(line: string): SplitResult {
  const args: string[] = [];
  let cur = '';
  let have = false;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== null) {
      if (c === '\\' && i + 1 < line.length && (line[i + 1] === quote || line[i + 1] === '\\')) {
        cur += line[++i];
      } else if (c === quote) {
        quote = null;
      } else {
        cur += c;
      }
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      have = true;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (have) args.push(cur);
      cur = '';
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (quote !== null) return { ok: false, error: 'unterminated quoted string' };
  if (have) args.push(cur);
  return { ok: true, args };
}

const NO_QUOTE = /^[A-Za-z0-9_-]+$/;

/** A value as iptables -S prints it: bare when safe, else in double quotes with " \ ' escaped. */
export function saveString(value: string): string {
  if (NO_QUOTE.test(value)) return value;
  return `"${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}
