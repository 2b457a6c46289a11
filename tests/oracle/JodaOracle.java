// The differential oracle for Azkaban's periods: Joda-Time's own DateTime.plus, as Azkaban's
// Schedule.getNextRuntime calls it (each period added to the time before, in the schedule's zone).
//
// Reads one request per line on stdin:  ZONE <TAB> FIRST <TAB> PERIOD <TAB> COUNT
// (FIRST in epoch milliseconds; PERIOD as Azkaban writes it: 1d, 2w, 1M, 1y, 6h, 30m, 45s) and
// writes one answer line per request: OK <TAB> the first time and the COUNT - 1 after it (epoch
// milliseconds, blank-separated), or ERR <TAB> message.
// Compiled by `make oracle` into a build directory; never committed as a binary.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.joda.time.DateTime;
import org.joda.time.DateTimeZone;
import org.joda.time.Days;
import org.joda.time.Hours;
import org.joda.time.Minutes;
import org.joda.time.Months;
import org.joda.time.ReadablePeriod;
import org.joda.time.Seconds;
import org.joda.time.Weeks;
import org.joda.time.Years;

public final class JodaOracle {
    // Azkaban's Utils.parsePeriodString: a number and one unit letter.
    private static ReadablePeriod period(String text) {
        int count = Integer.parseInt(text.substring(0, text.length() - 1));
        switch (text.charAt(text.length() - 1)) {
            case 'y': return Years.years(count);
            case 'M': return Months.months(count);
            case 'w': return Weeks.weeks(count);
            case 'd': return Days.days(count);
            case 'h': return Hours.hours(count);
            case 'm': return Minutes.minutes(count);
            case 's': return Seconds.seconds(count);
            default: throw new IllegalArgumentException("no such unit: " + text);
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split("\t");
            try {
                DateTimeZone zone = DateTimeZone.forID(parts[0]);
                DateTime at = new DateTime(Long.parseLong(parts[1]), zone);
                ReadablePeriod step = period(parts[2]);
                int count = Integer.parseInt(parts[3]);
                StringBuilder fires = new StringBuilder();
                for (int n = 0; n < count; n++) {
                    fires.append(n == 0 ? "" : " ").append(at.getMillis());
                    at = at.plus(step);
                }
                out.println("OK\t" + fires);
            } catch (Exception error) {
                out.println("ERR\t" + error.getClass().getSimpleName() + ": " + error.getMessage());
            }
        }
    }
}
