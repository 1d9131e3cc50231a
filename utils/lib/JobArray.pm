# The part slurm.pl and queue.pl share: Kaldi run.pl's command line and log format, the
# options-to-flags config file (Kaldi's conf/queue.conf format), the job script, and waiting
# for a submitted job array through done-marker files on the shared filesystem.
# A backend (slurm.pl, queue.pl) gives: prog, default_config, task_var (the environment
# variable holding the array index), submit(\%job) -> job id, active_tasks($id) -> list of
# task numbers still queued or running (undef when the queue cannot be asked), cancel($id).
package JobArray;
use strict;
use warnings;
use Cwd qw(getcwd);
use File::Basename qw(dirname basename);
use Time::HiRes qw(sleep time);

# Generic options every backend takes; the config maps the others to scheduler flags.
my %OWN = (config => 1, timeout => 1, 'lost-job-wait' => 1, 'max-jobs-run' => 1);

sub usage {
  my ($prog) = @_;
  return "Usage: $prog [options] [JOB=1:N] <log-file> <command> ...\n" .
    "Runs <command> as a job array on a cluster, one task per JOB (JOB in the log name and\n" .
    "command is replaced by the task number), waits for all of them, and fails naming the\n" .
    "log of a failed job, exactly like run.pl. Needs a filesystem shared with the nodes.\n" .
    "e.g.: $prog --mem 4G JOB=1:8 exp/log/train.JOB.log meta-train ... --job=JOB --num-jobs=8\n" .
    "Options:\n" .
    "  --config FILE         maps options to scheduler flags (default: conf/slurm.conf or\n" .
    "                        conf/queue.conf if it exists, else a built-in one)\n" .
    "  --mem SIZE            memory per job (e.g. 4G)          --num-threads N  CPUs per job\n" .
    "  --time LIMIT          wall-clock limit of each job       --gpu N          GPUs per job\n" .
    "  --max-jobs-run N      at most N tasks of the array running at once\n" .
    "  --timeout SECONDS     cancel the array and fail if it has not finished by then (0: none)\n" .
    "  --lost-job-wait SECS  how long a task may be gone from the queue without its done\n" .
    "                        marker (shared filesystem lag) before it counts as failed [30]\n" .
    "  --NAME VALUE          any other option the config file defines\n";
}

# capture(cmd, args...): runs a command without a shell; returns its stdout and stderr
# together, with the exit status in $?.
sub capture {
  my @c = @_;
  my $pid = open(my $fh, '-|') // die "cannot fork: $!\n";
  if ($pid == 0) {
    open(STDERR, '>&', \*STDOUT);
    exec(@c) or do { print "cannot run $c[0]: $!\n"; exit 127 };
  }
  local $/;
  my $out = <$fh> // '';
  close $fh;
  return $out;
}

sub sq { my ($s) = @_; return "'" . ($s =~ s/'/'\\''/gr) . "'"; }

# parse_args(prog, @ARGV) -> hash ref: opts (name -> value, '-' spelled '_'), jobvar,
# first, last, log, cmd. Same range, log and quoting rules as run.pl.
sub parse_args {
  my ($prog, @args) = @_;
  my %opts;
  while (@args && $args[0] =~ /^--([A-Za-z][\w-]*)(?:=(.*))?$/) {
    my ($name, $v) = ($1, $2);
    shift @args;
    $v = shift @args unless defined $v;
    die "$prog: option --$name needs a value\n" . usage($prog) unless defined $v;
    $opts{$name =~ s/-/_/gr} = $v;
  }
  my ($jobvar, $first, $last) = (undef, 1, 1);
  if (@args && $args[0] =~ /^([A-Za-z_]\w*)=(\d+)(?::(\d+))?$/) {
    ($jobvar, $first, $last) = ($1, $2, defined $3 ? $3 : $2);
    shift @args;
    die "$prog: bad job range $first:$last (need 1 <= first <= last)\n" if $first < 1 || $first > $last;
  } elsif (@args && $args[0] =~ /^[A-Za-z_]\w*=/) {
    die "$prog: bad job range '$args[0]' (expected e.g. JOB=1:4)\n" . usage($prog);
  }
  die usage($prog) if @args < 2;
  my $log = shift @args;
  die "$prog: the log file name '$log' must contain $jobvar for an array of jobs\n"
    if defined $jobvar && $last > $first && index($log, $jobvar) < 0;
  my $cmd = join(" ", map { /^[\w\/.,:=+@%-]+$/ ? $_ : sq($_) } @args);
  $cmd = $args[0] if @args == 1;   # a single argument is a whole command line ("a | b")
  for my $o (qw(timeout lost_job_wait)) {
    die "$prog: bad value for --" . ($o =~ s/_/-/gr) . ": $opts{$o}\n"
      if defined $opts{$o} && $opts{$o} !~ /^\d+(\.\d+)?$/;
  }
  die "$prog: bad value for --max-jobs-run: $opts{max_jobs_run}\n"
    if defined $opts{max_jobs_run} && $opts{max_jobs_run} !~ /^[1-9]\d*$/;
  die "$prog: bad value for --num-threads: $opts{num_threads}\n"
    if defined $opts{num_threads} && $opts{num_threads} !~ /^[1-9]\d*$/;
  return { opts => \%opts, jobvar => $jobvar, first => $first, last => $last,
           log => $log, cmd => $cmd };
}

# read_config(prog, file or undef, default text) -> { command => [...], rules => [[name,
# pattern, flags]], defaults => {name => value} }. Lines: "command qsub ...",
# "option NAME=VALUE flags" (exact value), "option NAME=* flags with $0" (any value),
# "default NAME=VALUE"; '#' starts a comment.
sub read_config {
  my ($prog, $file, $text) = @_;
  if (defined $file) {
    open(my $fh, '<', $file) or die "$prog: cannot read config file $file: $!\n";
    local $/; $text = <$fh>; close $fh;
  } else { $file = "(built-in config)"; }
  my %c = (command => undef, rules => [], defaults => {});
  my $n = 0;
  for my $line (split /\n/, $text) {
    $n++;
    $line =~ s/#.*//; $line =~ s/^\s+|\s+$//g;
    next if $line eq '';
    if ($line =~ /^command\s+(.+)$/) { $c{command} = [split ' ', $1]; }
    elsif ($line =~ /^option\s+(\w+)=(\S+)\s*(.*)$/) { push @{$c{rules}}, [$1, $2, $3]; }
    elsif ($line =~ /^default\s+(\w+)=(\S+)$/) { $c{defaults}{$1} = $2; }
    else { die "$prog: $file line $n: cannot parse '$line' (expected command, option or default)\n"; }
  }
  die "$prog: $file has no 'command' line\n" unless $c{command};
  return \%c;
}

# scheduler_flags(prog, config, opts) -> list of flags for the options the config maps.
sub scheduler_flags {
  my ($prog, $c, $opts) = @_;
  my %v = (%{$c->{defaults}}, %$opts);
  my @flags;
  for my $name (sort keys %v) {
    next if $OWN{$name =~ s/_/-/gr};   # handled by the wrapper itself
    my @r = grep { $_->[0] eq $name } @{$c->{rules}};
    die "$prog: unknown option --" . ($name =~ s/_/-/gr) . " (not in the config file)\n" unless @r;
    my ($exact) = grep { $_->[1] eq $v{$name} } @r;
    my ($any) = grep { $_->[1] eq '*' } @r;
    my $rule = $exact || $any;
    die "$prog: option --" . ($name =~ s/_/-/gr) . " $v{$name}: no rule in the config file\n"
      unless $rule;
    push @flags, split(' ', $rule->[2] =~ s/\$0/$v{$name}/gr);
  }
  return @flags;
}

sub subst { my ($s, $var, $j) = @_; return $s unless defined $var; $s =~ s/\b$var\b/$j/g; return $s; }

# write_script(job): the bash script each task runs; it selects its command by the task
# number, writes the log like run.pl, then publishes its exit code as a done marker
# (written to a temp name and renamed, so the waiting side never reads half a file).
sub write_script {
  my ($j, $be) = @_;
  my $threads = $j->{opts}{num_threads} || 1;
  open(my $fh, '>', $j->{script}) or die "$be->{prog}: cannot write $j->{script}: $!\n";
  print $fh "#!/usr/bin/env bash\n# Written by $be->{prog}; task number in \$$be->{task_var}.\n";
  print $fh "cd " . sq(getcwd()) . " || exit 1\n[ -f ./path.sh ] && . ./path.sh\n";
  print $fh "task=\${$be->{task_var}:-$j->{first}}\ncase \"\$task\" in\n";
  for my $t ($j->{first} .. $j->{last}) {
    print $fh "  $t) log=" . sq(subst($j->{log}, $j->{jobvar}, $t)) .
      " cmd=" . sq(subst($j->{cmd}, $j->{jobvar}, $t)) . " ;;\n";
  }
  print $fh "  *) echo \"no task \$task in \$0\" >&2; exit 1 ;;\nesac\n";
  my $m = sq($j->{marker});
  # Builtins only where possible (dates, elapsed time): process start-up is the overhead.
  print $fh <<"SCRIPT";
now() { LC_ALL=C printf '%(%a %b %e %H:%M:%S %Y)T' -1; }
done_marker() { echo "\$1" >$m.\$task.tmp && mv $m.\$task.tmp $m.\$task; }
trap 'echo "# Killed by a signal at \$(now)" >>"\$log"; done_marker 143; exit 143' TERM INT
case "\$log" in */*) [ -d "\${log%/*}" ] || mkdir -p "\${log%/*}" ;; esac
printf '# %s\\n# Started at %s\\n' "\$cmd" "\$(now)" >"\$log"
SECONDS=0
bash -c "( \$cmd )" >>"\$log" 2>&1 &
wait \$!
ret=\$?
printf '# Accounting: time=%d threads=%d\\n# Ended (code %d) at %s\\n' \\
  \$SECONDS $threads \$ret "\$(now)" >>"\$log"
done_marker \$ret
exit \$ret
SCRIPT
  close $fh;
  chmod 0755, $j->{script};
}

# wait_tasks(job, backend, id) -> list of failed task numbers. Polls the done markers,
# asking the queue now and then which tasks are still there; a task gone from the queue
# with no marker for lost_job_wait seconds was cancelled or killed.
sub wait_tasks {
  my ($j, $be, $id) = @_;
  my %pending = map { $_ => 1 } ($j->{first} .. $j->{last});
  my (@failed, %gone_since);
  my $timeout = $j->{opts}{timeout} || 0;
  my $lost_wait = defined $j->{opts}{lost_job_wait} ? $j->{opts}{lost_job_wait} : 30;
  my ($start, $last_check, $interval) = (time(), time(), 0.02);
  while (%pending) {
    for my $t (sort { $a <=> $b } keys %pending) {
      my $m = "$j->{marker}.$t";
      next unless -e $m;
      open(my $fh, '<', $m) or next;
      my $code = <$fh>; close $fh;
      unlink $m;
      delete $pending{$t};
      push @failed, $t if !defined $code || $code !~ /^0$/;
    }
    last unless %pending;
    my $now = time();
    if ($now - $last_check >= 1) {
      $last_check = $now;
      my @active = $be->{active_tasks}->($id, $j);
      if (!(@active == 1 && !defined $active[0])) {   # undef: the queue could not be asked
        my %act = map { $_ => 1 } @active;
        for my $t (keys %pending) {
          if ($act{$t}) { delete $gone_since{$t}; next; }
          $gone_since{$t} //= $now;
          next if $now - $gone_since{$t} < $lost_wait;
          lost_task($j, $be, $id, $t, "left the queue without finishing (cancelled or killed?)");
          delete $pending{$t}; push @failed, $t;
        }
      }
    }
    if ($timeout && $now - $start > $timeout && %pending) {
      $be->{cancel}->($id);
      for my $t (keys %pending) {
        lost_task($j, $be, $id, $t, "had not finished after --timeout $timeout s; cancelled");
        push @failed, $t;
      }
      last;
    }
    sleep($interval);
    $interval = $interval * 1.3 > 0.25 ? 0.25 : $interval * 1.3;
  }
  return sort { $a <=> $b } @failed;
}

sub lost_task {
  my ($j, $be, $id, $t, $why) = @_;
  my $log = subst($j->{log}, $j->{jobvar}, $t);
  if (open(my $fh, '>>', $log)) {
    print $fh "# $be->{prog}: task $t of job $id $why; no exit status\n"; close $fh;
  }
}

# run(backend, @ARGV): the whole of slurm.pl / queue.pl. Exits.
sub run {
  my ($be, @args) = @_;
  my $prog = $be->{prog};
  my $j = parse_args($prog, @args);
  my $o = $j->{opts};
  my $conf_file = $o->{config};
  delete $o->{config};
  $conf_file = $be->{config_file} if !defined $conf_file && -f $be->{config_file};
  my $conf = read_config($prog, $conf_file, $be->{default_config});
  my @flags = scheduler_flags($prog, $conf, $o);

  my $logdir = dirname($j->{log});
  (my $base = basename($j->{log})) =~ s/\.log$//;
  $base = subst($base, $j->{jobvar}, '') =~ s/\.\././gr =~ s/^\.|\.$//gr if defined $j->{jobvar};
  $base = 'job' if $base eq '';
  system("mkdir", "-p", "$logdir/q") == 0 or die "$prog: cannot create $logdir/q\n";
  $j->{script} = "$logdir/q/$base.sh";
  $j->{queue_log} = "$logdir/q/$base.log";
  $j->{marker} = "$logdir/q/done.$base.$$." . int(time());
  $j->{name} = $base;
  for my $t ($j->{first} .. $j->{last}) {
    my $d = dirname(subst($j->{log}, $j->{jobvar}, $t));
    system("mkdir", "-p", $d) unless -d $d;
  }
  write_script($j, $be);
  my $id = $be->{submit}->($j, [@{$conf->{command}}, @flags]);
  my $cancel = sub { $be->{cancel}->($id); die "$prog: interrupted; cancelled job $id\n"; };
  local $SIG{INT} = $cancel;
  local $SIG{TERM} = $cancel;
  my @failed = wait_tasks($j, $be, $id);
  if (@failed) {
    my $n = $j->{last} - $j->{first} + 1;
    my $log = subst($j->{log}, $j->{jobvar}, $failed[0]);
    if ($n == 1) { print STDERR "$prog: job failed, log is in $log\n"; }
    else { print STDERR "$prog: " . scalar(@failed) . " / $n failed, log is in $log\n"; }
    exit 1;
  }
  exit 0;
}

1;
