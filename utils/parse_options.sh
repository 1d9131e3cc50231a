# Parses --name value / --name=value options into shell variables, Kaldi style.
# Source it after setting the defaults:   . utils/parse_options.sh
# "--num-jobs 4" sets num_jobs=4, but only when $num_jobs is already defined (so a typo
# is an error). A boolean option (default true or false) given alone, not followed by
# true or false, is set to true: "--per-utt" means "--per-utt true", as in Kaldi's
# scripts. --config FILE sources FILE (lines like name=value). --help prints
# $help_message and exits. Options end at the first argument not starting with "--";
# the remaining arguments stay in "$@".
# (Usage: . utils/parse_options.sh; this file is sourced, not run.)

__po_prog=$(basename "$0")
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h)
      if [ -n "${help_message:-}" ]; then printf '%s\n' "$help_message" >&2
      else echo "$__po_prog: no help message; see the top of $0" >&2; fi
      exit 0 ;;
    --config=*|--config)
      if [ "$1" = --config ]; then
        [ $# -ge 2 ] || { echo "$__po_prog: ERROR: --config needs a file name" >&2; exit 1; }
        __po_cfg=$2; shift 2
      else __po_cfg=${1#--config=}; shift; fi
      [ -f "$__po_cfg" ] || { echo "$__po_prog: ERROR: config file '$__po_cfg' not found" >&2; exit 1; }
      . "$__po_cfg" || { echo "$__po_prog: ERROR: cannot read config file '$__po_cfg'" >&2; exit 1; }
      ;;
    --) shift; break ;;
    --?*)
      __po_opt=${1#--}
      __po_name=${__po_opt//-/_}
      if [[ "$__po_opt" == *=* ]]; then __po_val=${__po_opt#*=}; __po_opt=${__po_opt%%=*}; shift
      elif [[ "$__po_name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && eval "[[ \"\${$__po_name-}\" =~ ^(true|false)$ ]]" &&
           [[ ! "${2-}" =~ ^(true|false)$ ]]; then
        __po_val=true; shift   # a boolean given alone, as Kaldi's --per-utt or --no-feats
      else
        [ $# -ge 2 ] || { echo "$__po_prog: ERROR: option --$__po_opt needs a value" >&2; exit 1; }
        __po_val=$2; shift 2
      fi
      __po_name=${__po_opt//-/_}
      if ! [[ "$__po_name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || ! eval "[ -n \"\${$__po_name+x}\" ]"; then
        echo "$__po_prog: ERROR: invalid option --$__po_opt" >&2
        [ -n "${help_message:-}" ] && printf '%s\n' "$help_message" >&2
        exit 1
      fi
      # A boolean option (default true/false) takes only true or false.
      eval "__po_old=\${$__po_name}"
      if { [ "$__po_old" = true ] || [ "$__po_old" = false ]; } &&
         [ "$__po_val" != true ] && [ "$__po_val" != false ]; then
        echo "$__po_prog: ERROR: option --$__po_opt expects true or false, got '$__po_val'" >&2
        exit 1
      fi
      printf -v "$__po_name" '%s' "$__po_val"
      ;;
    *) break ;;
  esac
done
unset __po_opt __po_val __po_name __po_old __po_cfg __po_prog
true
