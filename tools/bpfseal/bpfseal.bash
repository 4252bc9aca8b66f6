# bash completion for bpfseal (installed as
# share/bash-completion/completions/bpfseal by cmake --install).
# Commands and each command's long options are read from `bpfseal --help`
# and `bpfseal <command> --help`, so they never drift from the tool.

_bpfseal_commands() {
    "$1" --help 2>/dev/null | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p'
}

_bpfseal_options() {
    "$1" "$2" --help 2>/dev/null | grep -o -- '--[a-z][a-z0-9-]*' | sort -u
    echo --json
    echo --debug
}

_bpfseal() {
    local cur prev words cword
    if declare -F _init_completion > /dev/null; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local tool=${words[0]} command="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        --debug) ;;
        -*) ;;
        *) command=${words[i]}; break ;;
        esac
    done
    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$(_bpfseal_commands "$tool") --debug --help --version" -- "$cur"))
        return
    fi
    case $prev in
    --mode) COMPREPLY=($(compgen -W "auto kernel userspace" -- "$cur")); return ;;
    --path) COMPREPLY=($(compgen -W "auto loader libbpf" -- "$cur")); return ;;
    --keyring) COMPREPLY=($(compgen -W "session user builtin secondary platform .bpf" -- "$cur")); return ;;
    --ca-dir | --pin | --detached-out) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    --cert | --key | --c-header | --cxx-header | --output | -o | --kernel-btf | --der)
        COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_bpfseal_options "$tool" "$command")" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _bpfseal bpfseal bpfseal-static
