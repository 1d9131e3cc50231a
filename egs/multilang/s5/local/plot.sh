#!/usr/bin/env bash
# Plots of a run (gnuplot, PNG) in <out-dir>:
#   error_rate.png  error rate against adaptation recordings (0, the shot counts, evenly
#                   spaced), one panel per target (language, dialect ...), one line per initialisation (mean
#                   over training seeds x draws, bars one standard deviation); scratch in
#                   a panel of its own; the y range is the adapted points' (a zero-shot
#                   point far above them is marked at the top edge with its value)
#   training.png    meta-training curves: query loss before (dashed) and after (solid)
#                   inner adaptation against iteration, from meta-train's progress lines
#                   ("Iteration i/n: query loss B before, A after adaptation ...")
# The numbers plotted are left next to them as <out-dir>/data/*.dat.
unit=phone
inits="multitask reptile-sq-mb2"
targets=              # the targets plotted (languages ...) [every one under <adapt-dir>]
adapt_dir=            # the adaptation results [<exp>/adapt]
help_message="Usage: local/plot.sh [--unit phone|char] [--inits '<names>'] [--targets '<targets>'] [--adapt-dir DIR] <exp> <out-dir>
e.g.: local/plot.sh --targets 'ca is sk uk' exp exp/plots"
[ -f ./path.sh ] && . ./path.sh
. utils/parse_options.sh || exit 1
[ $# -eq 2 ] || { echo "$help_message" >&2; exit 1; }
exp=$1 out=$2
[ -n "$adapt_dir" ] || adapt_dir=$exp/adapt
prog=plot.sh
die() { echo "$prog: ERROR: $*" >&2; exit 1; }
command -v gnuplot >/dev/null || die "gnuplot not found (Debian package gnuplot-nox; make deps)"
mkdir -p $out/data || exit 1
rm -f $out/data/*.dat
what=$([ $unit = char ] && echo "Character" || echo "Phone")
if echo 'set terminal' | gnuplot 2>&1 | grep -qw pngcairo; then term="pngcairo enhanced font 'sans,10'"
else term="png"; fi

# Error rates: <out>/data/<lang>.<init>.dat with "position N mean sd" lines, over every
# training seed and draw (<adapt-dir>/<init>/s<seed>/<lang>/<N>_<d>/wer, N=0 in .../0/).
[ -n "$targets" ] || targets=$(ls -d $adapt_dir/*/s*/*/ 2>/dev/null | awk -F/ '{print $(NF-1)}' | sort -u)
[ -n "$targets" ] || die "no adaptation results under $adapt_dir (run stage 7)"
for i in $inits; do for l in $targets; do
  for f in $adapt_dir/$i/s*/$l/*/wer; do
    [ -f $f ] && echo "$(basename $(dirname $f) | cut -d_ -f1) $(awk '/^%WER/ { print $2 }' $f)"
  done | awk '{ n[$1]++; s[$1] += $2; q[$1] += $2 * $2 }
              END { for (k in n) { m = s[k] / n[k]; v = n[k] > 1 ? (q[k] - n[k] * m * m) / (n[k] - 1) : 0;
                                   printf "%d %.3f %.3f\n", k, m, (v > 0 ? sqrt(v) : 0) } }' |
    sort -n | awk '{ print NR - 1, $0 }' > $out/data/$l.$i.dat
  [ -s $out/data/$l.$i.dat ] || die "no results for $i on $l in $adapt_dir/$i"
done; done
# The x axis: evenly spaced shot counts (N=0 included), labelled with N.
first=$(echo $inits | cut -d' ' -f1) l1=$(echo $targets | cut -d' ' -f1)
xtics=$(awk '{ printf "%s\"%d\" %d", (NR > 1 ? ", " : ""), $2, $1 }' $out/data/$l1.$first.dat)
xmax=$(tail -n 1 $out/data/$l1.$first.dat | cut -d' ' -f1)
# Scratch (far above the others) gets a panel of its own, so the others fill theirs.
compared=$(echo $inits | tr ' ' '\n' | grep -vx scratch | tr '\n' ' ')
has_scratch=$(echo " $inits " | grep -c ' scratch ' || true)
np=$(( $(echo $targets | wc -w) + has_scratch ))
cols=$(( np < 2 ? np : 2 )); rows=$(( (np + cols - 1) / cols ))
{
  echo "set terminal $term size $((cols * 520)),$((rows * 380 + 40))"
  echo "set output '$out/error_rate.png'"
  echo "set multiplot layout $rows,$cols title '$what error rate after fast adaptation (mean and sd over seeds x draws)' font ',12'"
  echo "set grid; set key top right font ',8'; set xrange [-0.3:$xmax + 0.3]; set xtics ($xtics)"
  echo "set xlabel 'adaptation recordings (0: none)'; set ylabel '$what error rate (%)'"
  for l in $targets; do
    # The y range is the adapted points' (N > 0), stretched for zero-shot points up to
    # twice their spread above them; a zero-shot point above that (a model that is poor
    # before adaptation) is marked at the top edge with its value, so it does not squash
    # the differences the plot is for.
    read -r ylo yhi < <(for i in $compared; do cat $out/data/$l.$i.dat; done | awk '
      $1 > 0 { if (!n++ || $3 - $4 < lo) lo = $3 - $4; if ($3 + $4 > hi) hi = $3 + $4 }
      $1 == 0 { z = $3 + $4 > z ? $3 + $4 : z }
      END { span = hi - lo < 2 ? 2 : hi - lo; top = hi + 2 * span; if (z > hi) hi = z < top ? z : top
            print lo - span / 10, hi + span / 10 }')
    for i in $compared; do
      awk -v top=$yhi -v i=$i '$1 == 0 && $3 > top { printf "0 %s %s\n", top, i " " int($3 + 0.5) }' $out/data/$l.$i.dat
    done | awk -v step=$(echo "$ylo $yhi" | awk '{ print ($2 - $1) / 16 }') \
      '{ print $1, $2, $2 - NR * step, $3, $4 }' > $out/data/$l.clipped.dat
    echo "set title '$l'; set yrange [$ylo:$yhi]"
    plot="plot"
    for i in $compared; do
      plot="$plot '$out/data/$l.$i.dat' using 1:3:4 with yerrorlines title '$i',"
    done
    [ -s $out/data/$l.clipped.dat ] && plot="$plot '$out/data/$l.clipped.dat' using 1:2 with points pt 9 ps 1.5 lc black notitle,\
 '' using 1:3:(sprintf('%s %s (N=0, off the scale)', stringcolumn(4), stringcolumn(5))) with labels left offset 1,0 font ',8' notitle,"
    echo "${plot%,}"
  done
  echo "set autoscale y"
  if [ $has_scratch -gt 0 ]; then
    echo "set title 'scratch (every target)'"
    plot="plot"
    for l in $targets; do plot="$plot '$out/data/$l.scratch.dat' using 1:3:4 with yerrorlines title '$l',"; done
    echo "${plot%,}"
  fi
  echo "unset multiplot"
} > $out/error_rate.gp
gnuplot $out/error_rate.gp || die "gnuplot failed on $out/error_rate.gp"

# Training curves: <out>/data/train.<init>.dat with "iteration before after" lines.
curves=""
for i in $inits; do
  log=$(ls $exp/$i/s*/log/train.log 2>/dev/null | head -n 1)
  [ -n "$log" ] || continue
  sed -n 's/.*Iteration \([0-9]*\)[/0-9]*: query loss \([^ ]*\) before, \([^ ]*\) after adaptation.*/\1 \2 \3/p' \
    $log > $out/data/train.$i.dat
  [ -s $out/data/train.$i.dat ] && curves="$curves $i"
done
if [ -z "$curves" ]; then
  echo "$prog: WARNING: no meta-train progress lines in $exp/*/log/train.log; no training.png" >&2
else
  {
    echo "set terminal $term size 900,560"
    echo "set output '$out/training.png'"
    echo "set title 'Meta-training (first seed): query loss before (dashed) and after (solid) inner adaptation'"
    echo "set xlabel 'iteration'; set ylabel 'query loss (CTC, log scale)'; set logscale y; set grid; set key top right"
    plot="plot" c=1
    for i in $curves; do
      plot="$plot '$out/data/train.$i.dat' using 1:3 with lines lw 2 lc $c title '$i',"
      plot="$plot '$out/data/train.$i.dat' using 1:2 with lines dt 2 lc $c notitle,"
      c=$((c + 1))
    done
    echo "${plot%,}"
  } > $out/training.gp
  gnuplot $out/training.gp || die "gnuplot failed on $out/training.gp"
fi
echo "$prog: wrote $(ls $out/*.png | tr '\n' ' ')" >&2
