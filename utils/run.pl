#!/usr/bin/env perl
# Runs a command as one job or an array of jobs on the local machine, Kaldi style:
#   run.pl [--max-jobs-run N] JOB=1:N log/x.JOB.log cmd args...   (JOB replaced by 1..N)
#   run.pl log/x.log cmd args...                                   (a single job)
# The command goes through bash; its stdout and stderr go to the log, which starts with
# the command line and ends with the exit status and time. Fails (exit 1) when any job
# fails, naming the log of the first failed job and how many failed.
use strict;
use warnings;

my $usage = "Usage: run.pl [--max-jobs-run N] [JOB=1:N] <log-file> <command> ...\n" .
  "Runs <command> on the local machine, once or once per JOB (JOB in the log name and\n" .
  "command is replaced by the job number), at most N jobs at a time (default: all).\n" .
  "e.g.: run.pl JOB=1:4 exp/log/synth.JOB.log local/synth.sh data/list.JOB\n";

my $max_jobs = 0;   # 0: as many as there are jobs
while (@ARGV && $ARGV[0] =~ /^--/) {
  my $opt = shift @ARGV;
  if ($opt =~ /^--max-jobs-run(?:=(.*))?$/) {
    my $v = defined $1 ? $1 : shift @ARGV;
    die "run.pl: bad value for --max-jobs-run: " . (defined $v ? $v : "(none)") . "\n$usage"
      unless defined $v && $v =~ /^[1-9]\d*$/;
    $max_jobs = $v;
  } elsif ($opt =~ /^--(?:config|mem|gpu|num-threads|time)(?:=(.*))?$/) {
    # Cluster options (slurm.pl/queue.pl) accepted and ignored so recipes can switch $cmd.
    shift @ARGV unless defined $1;
  } else {
    die "run.pl: unknown option $opt\n$usage";
  }
}

my ($jobvar, $first, $last) = (undef, 1, 1);
if (@ARGV && $ARGV[0] =~ /^([A-Za-z_]\w*)=(\d+):(\d+)$/) {
  ($jobvar, $first, $last) = ($1, $2, $3);
  shift @ARGV;
  die "run.pl: bad job range $first:$last (need 1 <= first <= last)\n" if $first < 1 || $first > $last;
} elsif (@ARGV && $ARGV[0] =~ /^[A-Za-z_]\w*=/) {
  die "run.pl: bad job range '$ARGV[0]' (expected e.g. JOB=1:4)\n$usage";
}
die $usage if @ARGV < 2;
my $logfile = shift @ARGV;
die "run.pl: the log file name '$logfile' must contain $jobvar for an array of jobs\n"
  if defined $jobvar && $last > $first && index($logfile, $jobvar) < 0;

# Quote arguments that are not plain words so bash sees the command as given.
my $cmd = join(" ", map { /^[\w\/.,:=+@%-]+$/ ? $_ : "'" . s/'/'\\''/gr . "'" } @ARGV);
# A single argument is taken as a whole command line (e.g. "a | b").
$cmd = $ARGV[0] if @ARGV == 1;
$max_jobs = $last - $first + 1 if $max_jobs == 0;

sub subst { my ($s, $j) = @_; return $s unless defined $jobvar; $s =~ s/\b$jobvar\b/$j/g; return $s; }

my %pid2job;
my @failed;
my $next = $first;
my $running = 0;
while ($next <= $last || $running > 0) {
  if ($next <= $last && $running < $max_jobs) {
    my $j = $next++;
    my $log = subst($logfile, $j);
    my $c = subst($cmd, $j);
    (my $dir = $log) =~ s{/[^/]*$}{};
    system("mkdir", "-p", $dir) if $dir ne $log && !-d $dir;
    my $pid = fork();
    die "run.pl: cannot fork: $!\n" unless defined $pid;
    if ($pid == 0) {
      open(my $fh, '>', $log) or die "run.pl: cannot write log file $log: $!\n";
      print $fh "# $c\n# Started at " . localtime() . "\n";
      close $fh;
      my $start = time();
      my $rc = system("bash", "-c", "( $c ) >>'" . ($log =~ s/'/'\\''/gr) . "' 2>&1");
      my $status = $rc == -1 ? 127 : ($rc & 127 ? 128 + ($rc & 127) : $rc >> 8);
      open($fh, '>>', $log) or exit 1;
      printf $fh "# Accounting: time=%d threads=1\n# Ended (code %d) at %s\n",
        time() - $start, $status, scalar localtime();
      close $fh;
      exit($status ? 1 : 0);
    }
    $pid2job{$pid} = $j;
    $running++;
  } else {
    my $pid = wait();
    last if $pid < 0;
    next unless exists $pid2job{$pid};
    my $j = delete $pid2job{$pid};
    $running--;
    push @failed, $j if $? != 0;
  }
}
if (@failed) {
  @failed = sort { $a <=> $b } @failed;
  my $n = $last - $first + 1;
  my $log = subst($logfile, $failed[0]);
  if ($n == 1) { print STDERR "run.pl: job failed, log is in $log\n"; }
  else { print STDERR "run.pl: " . scalar(@failed) . " / $n failed, log is in $log\n"; }
  exit 1;
}
exit 0;
