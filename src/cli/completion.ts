// Shell completion scripts generated from the commander tree: subcommands and flags are static;
// microVM names are completed at run time from `fc-macos microvm list -q`.
import type { Command } from 'commander';

export interface CompletionNode {
  /** Words after the program name, e.g. ["microvm", "stop"] (aliases get their own node). */
  path: string[];
  subcommands: string[];
  flags: string[];
  /** The command's first argument is a microVM name. */
  takesName: boolean;
  /** Fixed values of the first argument (e.g. bash|zsh|fish). */
  choices: string[];
}

function flagsOf(cmd: Command): string[] {
  const out: string[] = [];
  for (const o of cmd.options) {
    if (o.hidden) continue;
    if (o.long) out.push(o.long);
    if (o.short) out.push(o.short);
  }
  return out;
}

export function completionTree(program: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const walk = (cmd: Command, path: string[]): void => {
    const visible = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    const first = cmd.registeredArguments[0];
    nodes.push({
      path,
      subcommands: visible.flatMap((c) => [c.name(), ...c.aliases()]),
      flags: path.length === 0 ? flagsOf(cmd) : [...flagsOf(cmd), '--help'],
      takesName: first !== undefined && /^names?$/i.test(first.name()),
      choices: first?.argChoices ? [...first.argChoices] : [],
    });
    for (const c of visible) for (const word of [c.name(), ...c.aliases()]) walk(c, [...path, word]);
  };
  walk(program, []);
  return nodes;
}

const shellWord = (s: string): string =>
  /^[A-Za-z0-9._:/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;

export function bashCompletion(program: Command): string {
  const nodes = completionTree(program);
  const root = nodes.find((n) => n.path.length === 0);
  const globals = root?.flags.join(' ') ?? '';
  const cases = (pick: (n: CompletionNode) => string[]): string =>
    nodes
      .map((n) => {
        const v = pick(n);
        return v.length ? `    "${n.path.join(' ')}") echo ${v.map(shellWord).join(' ')} ;;` : '';
      })
      .filter(Boolean)
      .join('\n');
  const named = nodes.filter((n) => n.takesName).map((n) => `"${n.path.join(' ')}"`);
  return `# fc-macos bash completion. Load it with:  source <(fc-macos completion bash)
_fc_macos_subcommands() {
  case "$1" in
${cases((n) => n.subcommands)}
  esac
}
_fc_macos_flags() {
  case "$1" in
${cases((n) => n.flags)}
  esac
}
_fc_macos_choices() {
  case "$1" in
${cases((n) => n.choices)}
  esac
}
_fc_macos_takes_name() {
  case "$1" in
    ${named.length ? named.join('|') : '"-"'}) return 0 ;;
  esac
  return 1
}
_fc_macos() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w i subs words
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    subs=" $(_fc_macos_subcommands "$path") "
    case "$subs" in *" $w "*) path="\${path:+$path }$w" ;; esac
  done
  if [[ "$cur" == -* ]]; then
    words="$(_fc_macos_flags "$path") ${globals}"
  else
    words="$(_fc_macos_subcommands "$path") $(_fc_macos_choices "$path")"
    if _fc_macos_takes_name "$path"; then
      words="$words $(\${COMP_WORDS[0]} microvm list -q 2>/dev/null)"
    fi
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _fc_macos fc-macos
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef fc-macos
# fc-macos zsh completion (through bashcompinit). Load it with:  source <(fc-macos completion zsh)
# after compinit in ~/.zshrc; it does not run compinit itself (that is the user's, and slow).
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program).split('\n').slice(1).join('\n')}`;
}

export function fishCompletion(program: Command): string {
  const nodes = completionTree(program);
  const lines = [
    '# fc-macos fish completion. Load it with:  fc-macos completion fish | source',
    'complete -c fc-macos -f',
  ];
  const cond = (n: CompletionNode): string => {
    if (n.path.length === 0) return '__fish_use_subcommand';
    const seen = n.path.map((w) => `__fish_seen_subcommand_from ${w}`).join('; and ');
    // Below this command, its own subcommands must not be seen yet.
    return n.subcommands.length
      ? `${seen}; and not __fish_seen_subcommand_from ${n.subcommands.join(' ')}`
      : seen;
  };
  for (const n of nodes) {
    const c = cond(n).replace(/'/g, "\\'");
    if (n.subcommands.length) lines.push(`complete -c fc-macos -n '${c}' -a '${n.subcommands.join(' ')}'`);
    if (n.choices.length) lines.push(`complete -c fc-macos -n '${c}' -a '${n.choices.join(' ')}'`);
    if (n.takesName) lines.push(`complete -c fc-macos -n '${c}' -a '(fc-macos microvm list -q 2>/dev/null)'`);
    const flagCond = n.path.length === 0 ? '' : `-n '${c}' `;
    for (const f of n.flags) {
      lines.push(
        f.startsWith('--')
          ? `complete -c fc-macos ${flagCond}-l ${f.slice(2)}`
          : `complete -c fc-macos ${flagCond}-s ${f.slice(1)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
