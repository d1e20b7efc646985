# bash completion for ipchaos: subcommands, options, scenario and injector names.
_ipchaos_names() { # list section header ("scenarios", "injectors")
	ipchaos list 2>/dev/null | awk -v want="$1" '
		/^[a-z]/ { on = index($0, want) == 1; next }
		on && /^  [a-z_]+ / { print $1 }'
}

_ipchaos() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local cmd=${COMP_WORDS[1]-}
	if [ "$COMP_CWORD" -eq 1 ]; then
		mapfile -t COMPREPLY < <(compgen -W "list run shrink merge audit bench --help --version" -- "$cur")
		return
	fi
	case $cmd in
	run)
		case $prev in
		--inject) mapfile -t COMPREPLY < <(compgen -W "$(_ipchaos_names injectors)" -- "$cur"); return ;;
		--json|--junit|--schedule|--trace) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
		--under) mapfile -t COMPREPLY < <(compgen -W "memcheck" -- "$cur"); return ;;
		--mode) mapfile -t COMPREPLY < <(compgen -W "chaos controlled" -- "$cur"); return ;;
		--strategy) mapfile -t COMPREPLY < <(compgen -W "pct random" -- "$cur"); return ;;
		--detect) mapfile -t COMPREPLY < <(compgen -W "races" -- "$cur"); return ;;
		--seed|--seeds|--procs|--ops|--timeout|--replays|--shard|--shards|--time-budget|--jobs|--made-by|--depth|--steps) return ;;
		esac
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--all --inject --seed --seeds --procs --ops --timeout
				--replays --json --junit --tap --shard --shards --time-budget --jobs --quiet --verbose
				--keep-going --keep --under --mode --strategy --depth --steps --check-determinism
				--schedule --shrink --story --story=full --trace --trace-all --detect --help" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$(_ipchaos_names scenarios)" -- "$cur")
		fi
		;;
	shrink)
		case $prev in
		--out) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
		--run|--time-budget|--max-runs) return ;;
		esac
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--run --time-budget --max-runs --out --help" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		;;
	merge)
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--json --junit --help" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		;;
	bench)
		case $prev in
		--csv|--json|--svg) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
		--sizes|--procs|--reps|--time|--lifetime) return ;;
		--channels)
			# The last comma token: a channel name to complete.
			local head=${cur%"${cur##*,}"} last=${cur##*,}
			mapfile -t COMPREPLY < <(compgen -P "$head" -W "mq pipe unix sysv_msg shm_ring hybrid shm_batch" -- "$last")
			return ;;
		esac
		if [[ ${COMP_WORDS[2]} == rare && $COMP_CWORD -gt 2 && $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--reps --time --lifetime --quick --csv --json --help" -- "$cur")
		elif [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--channels --sizes --procs --reps --time --quick --csv
				--json --svg --help" -- "$cur")
		elif [[ $COMP_CWORD == 2 ]]; then
			mapfile -t COMPREPLY < <(compgen -W "rare" -- "$cur")
		fi
		;;
	audit)
		if [[ $prev == --remove-run ]]; then
			# The run ids of the arenas in /dev/shm.
			local a
			COMPREPLY=()
			while IFS= read -r a; do
				a=${a#/dev/shm/ipchaos.}
				COMPREPLY+=("${a%.arena}")
			done < <(compgen -G "/dev/shm/ipchaos.$cur*.arena")
			return
		fi
		case $prev in
		--paths) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
		--json|--junit) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
		--signal) mapfile -t COMPREPLY < <(compgen -W "TERM INT HUP QUIT USR1 USR2 KILL" -- "$cur"); return ;;
		esac
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--kill-after --signal --grace --timeout --seed --seeds
				--paths --json --junit --no-isolate --remove --keep --list --stale --clean --remove-run --help" -- "$cur")
		fi
		;;
	esac
}
complete -F _ipchaos ipchaos
