# Puts the toolkit's programs and utils on PATH.
export TOPDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
export PATH=$TOPDIR/bin:$TOPDIR/utils:$PATH
export LC_ALL=C
