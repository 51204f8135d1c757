"""Figures for the sales dashboard."""
import plotly.graph_objects as go


def monthly_bars(rows, region):
    figure = go.Figure(go.Bar(x=rows["month"], y=rows["sales"], name=region))
    figure.update_layout(
        title=f"Sales in {region}",
        xaxis_title="Month",
        yaxis_title="Sales (units)",
        margin=dict(l=40, r=20, t=50, b=40),
    )
    return figure


def total_line(rows):
    return f"Total for the year: {int(rows['sales'].sum()):,} units"
