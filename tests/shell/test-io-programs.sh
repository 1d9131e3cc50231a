#!/usr/bin/env bash
# copy-feats, copy-int-vector, feat-to-dim, feat-to-len in pipes, and their failures.
source "$(dirname "$0")/lib.sh"

printf 'a  [\n  1 2 3 \n  4 5 6 ]\nb  [\n  7.5 -8 9 ]\n' > in.txt
printf 'a 1 2 3 \nb 4 \n' > ali.txt

check "text -> binary -> text pipe is identity" \
  bash -c 'copy-feats ark:in.txt ark:- | copy-feats ark:- ark,t:out.txt && cmp in.txt out.txt'
check "ark,scp round trip through the scp" \
  bash -c 'copy-feats ark:in.txt ark,scp:x.ark,x.scp && copy-feats scp:x.scp ark,t:- | cmp - in.txt'
check "--binary=false writes text" \
  bash -c 'copy-feats --binary=false ark:in.txt ark:y.txt && cmp y.txt in.txt'
check "gzip input is read transparently" \
  bash -c 'gzip -c in.txt > in.txt.gz && copy-feats ark:in.txt.gz ark,t:- | cmp - in.txt'
check "input and output pipes" \
  bash -c 'copy-feats "ark:cat in.txt |" "ark,t:| cat > p.txt" && cmp p.txt in.txt'
check "--include keeps a subset" \
  bash -c 'echo b > keep && test "$(copy-feats --include=keep ark:in.txt ark,t:- | head -c 1)" = b'
check "feat-to-dim" bash -c 'test "$(copy-feats ark:in.txt ark:- | feat-to-dim ark:- -)" = 3'
check "feat-to-len per utterance" bash -c 'test "$(feat-to-len ark:in.txt ark,t:- | tr -d " " | tr "\n" ,)" = a2,b1,'
check "copy-int-vector text/binary round trip" \
  bash -c 'copy-int-vector ark:ali.txt ark:- | copy-int-vector ark:- ark,t:- | cmp - ali.txt'
check "--help prints usage and defaults" bash -c 'copy-feats --help 2>&1 | grep -q "default = true"'

head -c 30 x.ark > trunc.ark
check_fails "truncated archive is an error naming the key" "key a" copy-feats ark:trunc.ark ark:o1.ark
check "no output left behind on failure" test ! -e o1.ark
check_fails "missing file" "cannot open" copy-feats ark:nope.ark ark:o2.ark
check_fails "failing input command" "failed" copy-feats "ark:cat nope.ark |" ark:o3.ark
check_fails "scp offset past the end" "past the end" bash -c 'echo "a x.ark:9999" > bad.scp; copy-feats scp:bad.scp ark:o4.ark'
check_fails "malformed specifier" "bad rspecifier" copy-feats in.txt ark:o5.ark
check_fails "unknown option" "unknown option" copy-feats --frobnicate=1 ark:in.txt ark:o6.ark
check_fails "bad option value" "bad value" copy-feats --binary=maybe ark:in.txt ark:o6.ark
check_fails "full disk" "write error" copy-feats ark:in.txt ark:/dev/full
check_fails "failing output command" "failed" copy-feats ark:in.txt "ark:| exit 3"
check_fails "wrong argument count prints usage" "Usage:" copy-feats ark:in.txt
