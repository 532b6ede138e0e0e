{# With --vars '{fail_report: true}' this model reads a table that does not exist, and fails. #}
select t.customer, t.total, count(b.order_id) as big_orders
from {{ ref('customer_totals') }} as t
left join {{ ref('big_orders') }} as b on b.customer = t.customer
{% if var('fail_report', false) %}cross join no_such_table{% endif %}
group by t.customer, t.total
