const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/**
 * Python's `time.strftime` in the C locale (English names), for the directives chat templates use
 * (Llama 3.1's `strftime_now("%d %b %Y")`): %a %A %b %B %d %H %I %j %m %M %p %S %y %Y %%. Another
 * directive is written back as it is.
 */
export function strftime(date: Date, format: string): string {
  return format.replace(/%[aAbBdHIjmMpSyY%]/g, (directive) => {
    switch (directive) {
      case '%a':
        return DAYS[date.getDay()]!.slice(0, 3);
      case '%A':
        return DAYS[date.getDay()]!;
      case '%b':
        return MONTHS[date.getMonth()]!.slice(0, 3);
      case '%B':
        return MONTHS[date.getMonth()]!;
      case '%d':
        return pad(date.getDate());
      case '%H':
        return pad(date.getHours());
      case '%I':
        return pad(date.getHours() % 12 === 0 ? 12 : date.getHours() % 12);
      case '%j': {
        const start = new Date(date.getFullYear(), 0, 1);
        return pad(Math.floor((date.getTime() - start.getTime()) / 86_400_000) + 1, 3);
      }
      case '%m':
        return pad(date.getMonth() + 1);
      case '%M':
        return pad(date.getMinutes());
      case '%p':
        return date.getHours() < 12 ? 'AM' : 'PM';
      case '%S':
        return pad(date.getSeconds());
      case '%y':
        return pad(date.getFullYear() % 100);
      case '%Y':
        return String(date.getFullYear());
      default:
        return '%';
    }
  });
}
