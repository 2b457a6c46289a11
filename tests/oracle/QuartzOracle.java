// The differential oracle: Quartz 2.3.2's own org.quartz.CronExpression, in UTC.
//
// Reads one request per line on stdin:  EXPRESSION <TAB> START[,START...] <TAB> COUNT
// (START in epoch seconds) and writes one answer line per request:
//   OK <TAB> t1 t2 ... | t1 t2 ...   the next COUNT fire times after each start (epoch seconds;
//                                    fewer when Quartz returns null)
//   ERR <TAB> message                the constructor refused the expression
//   HANG                             no answer within the time limit (Quartz's search loops);
//                                    the JVM then exits and the driver starts another
//   EXC <TAB> class: message         the evaluation threw
// Compiled by `make oracle` into a build directory; never committed as a binary.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.TimeZone;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.quartz.CronExpression;

public final class QuartzOracle {
    private static final long TIME_LIMIT_MS = 2000;

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "quartz-eval");
            thread.setDaemon(true);  // a search that never returns must not keep the JVM alive
            return thread;
        });
    }

    private static String fires(CronExpression cron, String starts, int count) {
        StringBuilder out = new StringBuilder();
        String[] each = starts.split(",");
        for (int i = 0; i < each.length; i++) {
            if (i > 0) {
                out.append(" |");
            }
            Date after = new Date(Long.parseLong(each[i].trim()) * 1000L);
            for (int n = 0; n < count; n++) {
                Date next = cron.getNextValidTimeAfter(after);
                if (next == null) {
                    break;
                }
                out.append(' ').append(next.getTime() / 1000L);
                after = next;
            }
        }
        return out.toString();
    }

    public static void main(String[] args) throws Exception {
        TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        ExecutorService worker = newWorker();
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split("\t", -1);
            String expression = parts[0];
            String starts = parts.length > 1 ? parts[1] : "";
            int count = parts.length > 2 && !parts[2].isEmpty() ? Integer.parseInt(parts[2]) : 0;
            CronExpression cron;
            try {
                cron = new CronExpression(expression);
                cron.setTimeZone(TimeZone.getTimeZone("UTC"));
            } catch (Exception error) {  // ParseException, and whatever else the parser throws
                out.println("ERR\t" + String.valueOf(error.getMessage()).replace('\n', ' ').replace('\t', ' '));
                out.flush();
                continue;
            }
            if (starts.isEmpty() || count == 0) {
                out.println("OK\t");
                out.flush();
                continue;
            }
            final CronExpression parsed = cron;
            Future<String> answer = worker.submit(() -> fires(parsed, starts, count));
            try {
                out.println("OK\t" + answer.get(TIME_LIMIT_MS, TimeUnit.MILLISECONDS).trim());
            } catch (TimeoutException hung) {
                // A spinning search cannot be interrupted: stop the JVM, the driver starts a new one.
                out.println("HANG");
                out.flush();
                Runtime.getRuntime().halt(3);
            } catch (java.util.concurrent.ExecutionException error) {
                Throwable cause = error.getCause();
                out.println("EXC\t" + cause.getClass().getSimpleName() + ": "
                        + String.valueOf(cause.getMessage()).replace('\n', ' ').replace('\t', ' '));
            }
            out.flush();
        }
        out.flush();
    }
}
