/**
 * The calendar check shared by every date WhatsApp or a user writes as digits (an instant, a contact's birthday):
 * `Date.parse` and `Date.UTC` roll impossible dates over (30 February becomes 2 March), so they are refused first.
 *
 * @internal
 */

const isLeapYear = (year: number): boolean => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

/** Whether `year`-`month`-`day` (month 1 to 12) is a day of the proleptic Gregorian calendar. */
export const isCalendarDate = (year: number, month: number, day: number): boolean =>
  month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
